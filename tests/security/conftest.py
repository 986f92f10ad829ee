"""Security tier: the unit tier's fakeredis app fixtures, plus helpers for hostile requests."""

from __future__ import annotations

from ..unit.conftest import client, fake_redis, make_client, services, settings, store

__all__ = ["client", "fake_redis", "make_client", "services", "settings", "store"]
