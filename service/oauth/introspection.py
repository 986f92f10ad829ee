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

    refresh = RefreshToken.parse(token)
    if refresh is not None:
        found = await services.sessions.inspect(refresh.ref, refresh.digest)
        if found is None or found.client_id != client.client_id:
            return INACTIVE
        created_ms = found.expiry_ms - services.settings.tokens.refresh_max_ttl * 1000
        now = services.clock()
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": found.client_id,
            "scope": found.scope,
            "sub": refresh.owner.id,
            "sid": refresh.session_ref,
            "iat": created_ms // 1000,
            "exp": int(now + found.ttl_ms / 1000),
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
        alive = await services.sessions.check(ref, claims["jti"])
        if alive is None or alive.client_id != client.client_id:
            return INACTIVE
    elif claims.get("sid") is not None or await services.revocations.is_revoked(
        None, claims["jti"]
    ):
        return INACTIVE
    body = {k: claims[k] for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")}
    if "sid" in claims:
        body["sid"] = claims["sid"]
    return {"active": True, "token_type": "access_token", **body}
