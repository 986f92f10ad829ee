"""The login-as pages on the admin listener: the routes under /api/authorize-as."""

from .console import LOGIN_AS, Console
from .routes import LOGIN_AS_ROUTES

__all__ = ["LOGIN_AS", "LOGIN_AS_ROUTES", "Console"]
