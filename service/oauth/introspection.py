"""Token introspection: RFC 7662. The caller authenticates as a client and sees only its tokens.

A token is inactive when it is expired, revoked, its session is gone (a deleted key), or it
belongs to another client.
"""

from __future__ import annotations

from typing import Any

from ..crypto.jwt import InvalidJwt
from ..errors import ErrorCode, OAuthError
from ..models import TokenRequest
from ..owners import SessionRef
from .client_auth import authenticate_caller
from .services import Services
from .tokens import RefreshToken

INACTIVE: dict[str, Any] = {"active": False}


async def introspect(req: TokenRequest, services: Services) -> dict[str, Any]:
    token = req.get("token")
    if token is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The token parameter is required.")
    client = await authenticate_caller(req.credentials, services, req.source)
    store = services.store

    refresh = RefreshToken.parse(token)
    if refresh is not None:
        found = await store.inspect_refresh(refresh.owner, refresh.sid, refresh.digest)
        if found is None or found[0] != client.client_id:
            return INACTIVE
        cid, scope, ttl_ms, expiry_ms = found
        created_ms = expiry_ms - services.settings.tokens.refresh_max_ttl * 1000
        now = services.clock()
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": cid,
            "scope": scope,
            "sub": refresh.owner.id,
            "sid": refresh.session_ref,
            "iat": created_ms // 1000,
            "exp": int(now + ttl_ms / 1000),
            "iss": services.jwt.issuer,
        }

    try:
        claims = services.jwt.verify(token, services.clock())
    except InvalidJwt:
        return INACTIVE
    if claims["client_id"] != client.client_id or claims["exp"] <= services.clock():
        return INACTIVE
    ref = SessionRef.parse(claims.get("sid"))
    if ref is not None:
        alive = await store.check_session(ref[0], ref[1], claims["jti"])
        if alive is None or alive[0] != client.client_id:
            return INACTIVE
    elif claims.get("sid") is not None or await store.is_revoked(None, claims["jti"]):
        return INACTIVE
    body = {k: claims[k] for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")}
    if "sid" in claims:
        body["sid"] = claims["sid"]
    return {"active": True, "token_type": "access_token", **body}
