"""The admin listener's HTTP layer: its middleware, its URL table, the admin API's handlers."""

from .middleware import make_admin_middleware
from .routes import Route, RouteTable, setup_admin_routes

__all__ = ["Route", "RouteTable", "make_admin_middleware", "setup_admin_routes"]
