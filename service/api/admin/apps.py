"""The apps endpoints of the admin API; each handler is named after its OpenAPI operationId."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import ADMIN
from .calls import note_target
from .paths import client_id
from .render import answer, app_json


async def list_apps(request: web.Request) -> web.Response:
    note_target(request, "apps")
    apps = await request.app[ADMIN].apps.list()
    return answer([app_json(a) for a in apps])


async def get_app(request: web.Request) -> web.Response:
    cid = client_id(request)
    note_target(request, "app", cid)
    return answer(app_json(await request.app[ADMIN].apps.get(cid)))
