"""JSON views of the admin API's records, with RFC 3339 UTC timestamps: never a secret or hash."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from ...admin import IdpRecord
from ...models import Client, User
from ..responses import NO_STORE, json_response


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC to the second: ``2025-07-01T12:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(int(seconds), 0)))


def app_json(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "kind": client.kind.value,
        "name": client.name,
        "has_secret": client.has_secret,
        "redirect_uris": list(client.redirect_uris),
        "created": timestamp(client.created),
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "disabled": user.disabled,
        "identities": [{"idp_id": i.idp_id, "sub": i.sub} for i in user.identities],
        "created": timestamp(user.created),
    }


def idp_json(record: IdpRecord) -> dict[str, Any]:
    """A provider as listed: a Facebook app secret is never shown."""
    body: dict[str, Any] = {"id": record.id, "kind": record.kind}
    if record.kind == "oidc":
        body.update(issuer=record.issuer, client_ids=list(record.client_ids))
    else:
        body.update(client_id=record.client_id, graph_url=record.graph_url)
    body["created"] = timestamp(record.created)
    return body


def answer(body: Any, status: int = 200, location: str | None = None) -> web.Response:
    """A JSON answer (no-store), with a Location for a created resource."""
    return json_response(body, status, {"Location": location} if location else None)


def no_content() -> web.Response:
    """204: done, no body."""
    return web.Response(status=204, headers=NO_STORE)
