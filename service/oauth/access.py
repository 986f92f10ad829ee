"""Whether one of our verified access tokens is still live (RFC 7009 §2, RFC 7662 §2.2).

A session's token lives while its session does (key present, listed in its owner's index) and
its ``jti`` is not revoked; a token without a session (anonymous) lives until its ``jti`` is
revoked. Every place that accepts our access tokens asks this after ``JwtCodec.verify``.
"""

from __future__ import annotations

from typing import Any

from ..owners import SessionRef
from .services import Services


async def is_live(claims: dict[str, Any], services: Services) -> bool:
    """True while the token's session is alive for its client and its jti is not revoked."""
    sid = claims.get("sid")
    if sid is None:
        return not await services.revocations.is_revoked(None, claims["jti"])
    ref = SessionRef.parse(sid)
    if ref is None:
        return False
    alive = await services.sessions.check(ref, claims["jti"])
    return alive is not None and alive.client_id == claims["client_id"]
