"""The Redis implementation of the store Protocols; only composition roots import it."""

from .backend import RedisBackend
from .connection import connect

__all__ = ["RedisBackend", "connect"]
