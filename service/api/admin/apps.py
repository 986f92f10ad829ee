"""The apps endpoints of the admin API; each handler is named after its OpenAPI operationId.
A client secret is in the answer of ``create_app`` and ``rotate_app_secret`` only."""

from __future__ import annotations

from aiohttp import web

from ...models import ClientKind
from ..appkeys import ADMIN
from .body import Fields, bad_request, read_json
from .calls import note_target
from .paths import client_id
from .render import answer, app_json, no_content

CREATE = ("kind", "name", "secret", "client_id", "redirect_uris")
PATCH = ("name", "redirect_uris")


async def create_app(request: web.Request) -> web.Response:
    body = Fields(await read_json(request), CREATE)
    kind = body.string("kind", required=True)
    if kind not in {k.value for k in ClientKind}:
        raise bad_request("The field kind must be marketplace or integration.")
    made = await request.app[ADMIN].apps.create(
        ClientKind(kind),
        body.string("name", required=True) or "",
        with_secret=body.boolean("secret"),
        client_id=body.string("client_id"),
        redirect_uris=body.strings("redirect_uris") or (),
    )
    cid = made.client.client_id
    note_target(request, "app", cid)
    shown = app_json(made.client)
    if made.secret is not None:
        shown["client_secret"] = made.secret
    return answer(shown, 201, f"/admin/v1/apps/{cid}")


async def list_apps(request: web.Request) -> web.Response:
    note_target(request, "apps")
    apps = await request.app[ADMIN].apps.list()
    return answer([app_json(a) for a in apps])


async def get_app(request: web.Request) -> web.Response:
    cid = client_id(request)
    note_target(request, "app", cid)
    return answer(app_json(await request.app[ADMIN].apps.get(cid)))


async def update_app(request: web.Request) -> web.Response:
    cid = client_id(request)
    note_target(request, "app", cid)
    body = Fields(await read_json(request), PATCH)
    if not body.data:
        raise bad_request("Give at least one of name, redirect_uris.")
    updated = await request.app[ADMIN].apps.update(
        cid, name=body.string("name"), redirect_uris=body.strings("redirect_uris")
    )
    return answer(app_json(updated))


async def delete_app(request: web.Request) -> web.Response:
    cid = client_id(request)
    note_target(request, "app", cid)
    await request.app[ADMIN].apps.delete(cid)
    return no_content()


async def rotate_app_secret(request: web.Request) -> web.Response:
    cid = client_id(request)
    note_target(request, "app", cid)
    secret = await request.app[ADMIN].apps.rotate_secret(cid)
    return answer({"client_id": cid, "client_secret": secret})
