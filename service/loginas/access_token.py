"""The access token of a login-as: RFC 9068 claims plus an RFC 8693 ``act`` naming the operator.

Scope ``user:limited``, 30 minutes, and no refresh token: a refreshed token would lose the
SDK's ``isLoggedInAs`` flag, and a support session should end on its own.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..models import TokenResponse
from .authorize import LIMITED_SCOPE
from .codes import CodeRecord

LOGIN_AS_TTL = 1800


def new_jti() -> str:
    """128 random bits, base64url: chosen before the code is consumed, so a reuse can name it."""
    return secrets.token_urlsafe(16)


def login_as_claims(
    record: CodeRecord,
    *,
    issuer: str,
    audience: str,
    jti: str,
    now: float,
    session_ref: str | None = None,
) -> dict[str, Any]:
    """The claims to sign: the user as ``sub``, the operator as ``act.sub`` (RFC 8693 §4.1)."""
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": record.user_id,
        "aud": audience,
        "exp": iat + LOGIN_AS_TTL,
        "iat": iat,
        "jti": jti,
        "client_id": record.client_id,
        "scope": LIMITED_SCOPE,
        "act": {"sub": record.operator_id},
    }
    if session_ref is not None:
        claims["sid"] = session_ref
    return claims


def login_as_response(access_token: str) -> TokenResponse:
    """``{access_token, token_type: "bearer", expires_in: 1800, scope: "user:limited"}``."""
    return TokenResponse(access_token, LOGIN_AS_TTL, LIMITED_SCOPE)
