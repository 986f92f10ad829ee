"""Token revocation: RFC 7009.

Two callers: the SDKs (``token`` plus ``Authorization: Bearer <access token>``, no client
credentials) and standard RFC 7009 clients (HTTP Basic or body credentials). A refresh token
ends its whole session; an access token's ``jti`` goes into the revocation set for the rest of
its life. An unknown, foreign or already revoked token is answered 200 and changes nothing.
"""

from __future__ import annotations

import structlog

from .. import context
from ..crypto.jwt import InvalidJwt
from ..errors import ErrorCode, OAuthError
from ..models import TokenRequest
from ..owners import SessionRef
from .access import is_live
from .client_auth import authenticate_caller
from .outcomes import SessionEvent
from .services import Services
from .tokens import RefreshToken

log = structlog.get_logger("tokenhouse.revocation")


def invalid_bearer(detail: str) -> OAuthError:
    """401 invalid_token (RFC 6750 §3.1): the SDK refreshes its token and retries."""
    return OAuthError(
        ErrorCode.INVALID_TOKEN, detail=detail, www_authenticate='Bearer error="invalid_token"'
    )


async def caller_client_id(req: TokenRequest, services: Services) -> str:
    """The client on whose behalf the request revokes."""
    if req.bearer is not None:
        try:
            claims = services.jwt.verify(req.bearer, services.clock())
        except InvalidJwt as exc:
            raise invalid_bearer(str(exc)) from exc
        if not await is_live(claims, services):
            raise invalid_bearer("session ended or token revoked")
        return str(claims["client_id"])
    client = await authenticate_caller(req.credentials, services, req.source)
    return client.client_id


async def revoke(req: TokenRequest, services: Services) -> bool:
    """Revoke the token if it is the caller's; True when something was revoked."""
    token = req.get("token")
    if token is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The token parameter is required.")
    client_id = await caller_client_id(req, services)
    context.annotate(client_id=client_id)

    refresh = RefreshToken.parse(token)
    if refresh is not None:
        done = await services.sessions.revoke(
            refresh.ref, digest=refresh.digest, client_id=client_id
        )
        if done:
            services.outcomes.report(SessionEvent.REVOKED)
            log.info("session.revoked", session=refresh.session_ref, client_id=client_id)
        return done

    try:
        claims = services.jwt.verify(token, services.clock())
    except InvalidJwt:
        return False  # unknown, expired or not ours: nothing to do (RFC 7009 §2.2)
    if claims["client_id"] != client_id:
        return False
    ref = SessionRef.parse(claims.get("sid"))
    # Verification accepts the token until exp plus the leeway: the entry must outlive that.
    remaining_ms = int((claims["exp"] + services.jwt.leeway - services.clock()) * 1000)
    if remaining_ms <= 0:
        return False
    owner = ref.owner if ref is not None else None
    await services.revocations.revoke(owner, claims["jti"], remaining_ms)
    log.info("access_token.revoked", jti=claims["jti"], client_id=client_id)
    return True
