"""The identity-provider endpoints of the admin API; each handler is named after its OpenAPI
operationId. A Facebook app secret goes in once and never comes out."""

from __future__ import annotations

from aiohttp import web

from ...idp.config import DEFAULT_GRAPH_URL, FacebookIdp, IdpConfig, OidcIdp
from ..appkeys import ADMIN
from .body import Fields, bad_request, read_json
from .calls import note_target
from .paths import idp_id
from .render import answer, idp_json, no_content

OIDC = ("id", "kind", "issuer", "client_ids")
FACEBOOK = ("id", "kind", "client_id", "client_secret", "graph_url")


def _config(data: dict[str, object]) -> IdpConfig:
    kind = data.get("kind")
    if kind == OidcIdp.kind:
        oidc = Fields(dict(data), OIDC)
        return OidcIdp(
            oidc.string("id", required=True) or "",
            oidc.string("issuer", required=True) or "",
            tuple(oidc.strings("client_ids", required=True) or ()),
        )
    if kind == FacebookIdp.kind:
        fb = Fields(dict(data), FACEBOOK)
        return FacebookIdp(
            fb.string("id", required=True) or "",
            fb.string("client_id", required=True) or "",
            fb.string("client_secret", required=True) or "",
            fb.string("graph_url") or DEFAULT_GRAPH_URL,
        )
    raise bad_request("The field kind must be oidc or facebook.")


async def create_idp(request: web.Request) -> web.Response:
    config = _config(await read_json(request))
    note_target(request, "idp", config.id)
    record = await request.app[ADMIN].idps.create(config)
    return answer(idp_json(record), 201, f"/admin/v1/idps/{record.id}")


async def list_idps(request: web.Request) -> web.Response:
    note_target(request, "idps")
    return answer([idp_json(r) for r in await request.app[ADMIN].idps.list()])


async def get_idp(request: web.Request) -> web.Response:
    ident = idp_id(request)
    note_target(request, "idp", ident)
    return answer(idp_json(await request.app[ADMIN].idps.get(ident)))


async def delete_idp(request: web.Request) -> web.Response:
    ident = idp_id(request)
    note_target(request, "idp", ident)
    await request.app[ADMIN].idps.delete(ident)
    return no_content()
