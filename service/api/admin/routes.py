"""The admin listener's URL table: one sub-table per concern, each route named by its handler.

Adding routes to the admin listener: write the handlers in a module of their concern, list
them in a table here (or pass a table of your own to ``setup_admin_routes``), and document
them in ``service/api/admin_openapi.yaml`` when they are under ``/admin/``. Every path under
``/admin/`` needs an admin token (the middleware checks it before the handler runs); paths
outside it (``/metrics``, pages with their own sign-in) do not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from . import apps, docs, idps, operators, sessions, users

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]  # method, path, handler
RouteTable = Sequence[Route]

USERS: RouteTable = (
    ("POST", "/admin/v1/users", users.create_user),
    ("GET", "/admin/v1/users", users.find_user_by_email),
    ("GET", "/admin/v1/users/{id}", users.get_user),
    ("PATCH", "/admin/v1/users/{id}", users.update_user),
    ("DELETE", "/admin/v1/users/{id}", users.delete_user),
    ("PUT", "/admin/v1/users/{id}/identities/{idp_id}", users.link_identity),
    ("DELETE", "/admin/v1/users/{id}/identities/{idp_id}", users.unlink_identity),
)
SESSIONS: RouteTable = (
    ("GET", "/admin/v1/users/{id}/sessions", sessions.list_user_sessions),
    ("DELETE", "/admin/v1/users/{id}/sessions", sessions.end_user_sessions),
    ("DELETE", "/admin/v1/sessions/{session_id}", sessions.end_session),
)
APPS: RouteTable = (
    ("POST", "/admin/v1/apps", apps.create_app),
    ("GET", "/admin/v1/apps", apps.list_apps),
    ("GET", "/admin/v1/apps/{client_id}", apps.get_app),
    ("PATCH", "/admin/v1/apps/{client_id}", apps.update_app),
    ("DELETE", "/admin/v1/apps/{client_id}", apps.delete_app),
    ("POST", "/admin/v1/apps/{client_id}/secret", apps.rotate_app_secret),
)
IDPS: RouteTable = (
    ("POST", "/admin/v1/idps", idps.create_idp),
    ("GET", "/admin/v1/idps", idps.list_idps),
    ("GET", "/admin/v1/idps/{id}", idps.get_idp),
    ("DELETE", "/admin/v1/idps/{id}", idps.delete_idp),
)
OPERATORS: RouteTable = (
    ("POST", operators.BASE, operators.create_operator),
    ("GET", operators.BASE, operators.list_operators),
    ("GET", f"{operators.BASE}/{{id}}", operators.get_operator),
    ("PATCH", f"{operators.BASE}/{{id}}", operators.update_operator),
    ("DELETE", f"{operators.BASE}/{{id}}", operators.delete_operator),
)
OPERATIONS: RouteTable = (("GET", "/admin/openapi.yaml", docs.admin_openapi),)

TABLES: tuple[RouteTable, ...] = (USERS, SESSIONS, APPS, IDPS, OPERATORS, OPERATIONS)


def setup_admin_routes(app: web.Application, *extra: RouteTable) -> None:
    """Every table's routes on the admin listener's app, then ``extra`` tables."""
    for table in (*TABLES, *extra):
        for method, path, handler in table:
            app.router.add_route(method, path, handler)
