"""URL table."""

from __future__ import annotations

from aiohttp import web

from . import views
from .endpoints import AUTH_WITH_IDP, INTROSPECT, REVOKE, TOKEN


def setup_routes(app: web.Application) -> None:
    app.router.add_post(TOKEN, views.token)
    app.router.add_post(REVOKE, views.revoke_view)
    app.router.add_post(INTROSPECT, views.introspect_view)
    app.router.add_post(AUTH_WITH_IDP, views.auth_with_idp)
    app.router.add_get("/.well-known/jwks.json", views.jwks)
    app.router.add_get("/.well-known/oauth-authorization-server", views.metadata)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/readyz", views.readyz)
    app.router.add_get("/openapi.yaml", views.openapi)
