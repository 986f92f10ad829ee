"""Whether one of our verified access tokens is still live in Redis (RFC 7009 §2, RFC 7662 §2.2).

A session's token lives while its session does (key present, listed in its owner's index) and
its ``jti`` is not revoked; a token without a session (anonymous) lives until its ``jti`` is
revoked. Every place that accepts our access tokens asks this after ``JwtCodec.verify``.
"""

from __future__ import annotations

from typing import Any

from .services import Services
from .tokens import split_session_ref


async def is_live(claims: dict[str, Any], services: Services) -> bool:
    """True while the token's session is alive for its client and its jti is not revoked."""
    sid = claims.get("sid")
    if sid is None:
        return not await services.store.is_revoked(None, claims["jti"])
    ref = split_session_ref(sid)
    if ref is None:
        return False
    alive = await services.store.check_session(ref[0], ref[1], claims["jti"])
    return alive is not None and alive[0] == claims["client_id"]
