"""The sessions endpoints of the admin API; each handler is named after its OpenAPI operationId."""

from __future__ import annotations

import time

from aiohttp import web

from ...owners import SessionRef
from ...store.records import SessionInfo
from ..appkeys import ADMIN, SETTINGS
from .calls import note_target
from .paths import not_found, user_id
from .render import answer, no_content, timestamp


def session_json(info: SessionInfo, now_ms: int, max_ttl: int) -> dict[str, str]:
    """A session as listed. ``expires_at`` is the earlier of its idle and absolute expiry; a
    session made before creation times were recorded shows its absolute expiry minus the
    configured lifetime (``tokens.refresh_max_ttl``)."""
    created = info.created or info.absolute_expiry_ms // 1000 - max_ttl
    expires = min(now_ms + max(info.idle_ttl_ms, 0), info.absolute_expiry_ms)
    return {
        "id": str(info.ref),
        "client_id": info.client_id,
        "scope": info.scope,
        "created": timestamp(created),
        "expires_at": timestamp(expires / 1000),
    }


async def list_user_sessions(request: web.Request) -> web.Response:
    uid = user_id(request)
    note_target(request, "user", uid)
    found = await request.app[ADMIN].sessions.list_of_user(uid)
    now_ms, max_ttl = int(time.time() * 1000), request.app[SETTINGS].tokens.refresh_max_ttl
    return answer([session_json(s, now_ms, max_ttl) for s in found])


async def end_user_sessions(request: web.Request) -> web.Response:
    uid = user_id(request)
    note_target(request, "user", uid)
    await request.app[ADMIN].sessions.end_all_of_user(uid)
    return no_content()


async def end_session(request: web.Request) -> web.Response:
    ref = SessionRef.parse(request.match_info["session_id"])
    if ref is None:
        raise not_found("session")
    note_target(request, "session", str(ref))
    await request.app[ADMIN].sessions.end_one(ref)
    return no_content()
