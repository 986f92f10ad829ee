"""Token introspection: RFC 7662. The caller is a confidential client and sees only its tokens.

Only a client that proves its secret may ask (RFC 7662 §2.1, §4): otherwise anyone holding a
public client id could test a stolen refresh token without tripping reuse detection. A token is
inactive when it is expired, revoked, its session is gone (a deleted key), or it belongs to
another client. ``token_type`` is the RFC 6749 §7.1 type, ``bearer`` (RFC 7662 §2.2);
``token_use`` says which of our tokens it is.
"""

from __future__ import annotations

from typing import Any

from ..crypto.jwt import InvalidJwt
from ..errors import ErrorCode, OAuthError
from ..models import TokenRequest
from .access import is_live
from .client_auth import require_secret
from .services import Services
from .tokens import RefreshToken

INACTIVE: dict[str, Any] = {"active": False}


async def introspect(req: TokenRequest, services: Services) -> dict[str, Any]:
    client = await require_secret(req.credentials, services, req.source)
    token = req.get("token")
    if token is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The token parameter is required.")

    refresh = RefreshToken.parse(token)
    if refresh is not None:
        found = await services.sessions.inspect(refresh.ref, refresh.digest)
        if found is None or found.client_id != client.client_id:
            return INACTIVE
        created_ms = found.expiry_ms - services.settings.tokens.refresh_max_ttl * 1000
        now = services.clock()
        return {
            "active": True,
            "token_type": "bearer",
            "token_use": "refresh_token",
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
    # Past exp is inactive even within the verification leeway: the caller acts on the answer.
    if claims["client_id"] != client.client_id or claims["exp"] <= services.clock():
        return INACTIVE
    if not await is_live(claims, services):
        return INACTIVE
    body = {k: claims[k] for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")}
    if "sid" in claims:
        body["sid"] = claims["sid"]
    return {"active": True, "token_type": "bearer", "token_use": "access_token", **body}
