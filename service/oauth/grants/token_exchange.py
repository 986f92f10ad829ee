"""Token exchange: RFC 8693, as Sharetribe uses it.

A marketplace client proves its secret and presents a live ``user`` access token issued to it;
it gets a ``trusted:user`` access token for the same user and session, and no refresh token.
The subject's session must still be alive in Redis, so a logout cannot be undone. A login-as
token (``user:limited``) is never exchanged: an operator must not gain ``trusted:user``. That
refusal is ``400 invalid_scope`` (the scope asked for exceeds the one granted, RFC 6749 §5.2),
not 401: on 401 the SDK would try to refresh, and a login-as session has no refresh token, so
the operator would be dropped to an anonymous session for nothing.
"""

from __future__ import annotations

from typing import ClassVar

import structlog

from ... import context
from ...crypto.jwt import InvalidJwt
from ...errors import ErrorCode, OAuthError
from ...loginas.authorize import LIMITED_SCOPE
from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ...owners import Owner, SessionRef
from ..scopes import TRUSTED_USER, USER, grant_scope
from ..services import Services
from ..tokens import mint_access_token
from .base import required

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
URN = "urn:ietf:params:oauth:grant-type:token-exchange"

log = structlog.get_logger("tokenhouse.token_exchange")


class TokenExchangeGrant:
    grant_type: ClassVar[str] = "token_exchange"
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset({ClientKind.MARKETPLACE})
    stale_client_ok: ClassVar[bool] = False

    def requires_secret(self, client: Client) -> bool:
        return True

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse:
        subject = required(req, "subject_token")
        for name in ("subject_token_type", "requested_token_type"):
            value = req.get(name)
            if value is not None and value != ACCESS_TOKEN_TYPE:
                raise OAuthError(
                    ErrorCode.INVALID_REQUEST, f"Only access tokens are supported as {name}."
                )
        scope = grant_scope(req.get("scope"), TRUSTED_USER)
        try:
            claims = services.jwt.verify(subject, services.clock())
        except InvalidJwt as exc:
            raise OAuthError(
                ErrorCode.INVALID_GRANT, "The subject_token is invalid.", detail=str(exc)
            ) from exc
        ref = SessionRef.parse(claims.get("sid"))
        if claims["scope"] == LIMITED_SCOPE and claims["client_id"] == client.client_id:
            raise OAuthError(
                ErrorCode.INVALID_SCOPE,
                "A login-as token cannot be exchanged.",
                detail="user:limited subject token",
            )
        if claims["scope"] != USER or claims["client_id"] != client.client_id or ref is None:
            raise OAuthError(
                ErrorCode.INVALID_GRANT,
                "The subject_token is invalid.",
                detail="not a user token of this client",
            )
        if ref.owner != Owner.user(str(claims["sub"])):
            raise OAuthError(
                ErrorCode.INVALID_GRANT, "The subject_token is invalid.", detail="owner mismatch"
            )
        alive = await services.sessions.check(ref, claims["jti"])
        if alive is None or alive.client_id != client.client_id:
            raise OAuthError(
                ErrorCode.INVALID_GRANT,
                "The subject_token is invalid.",
                detail="session ended or token revoked",
            )
        context.annotate(user_id=claims["sub"], session=claims["sid"])
        ttl = services.settings.tokens.access_ttl
        access = mint_access_token(
            services.jwt,
            sub=claims["sub"],
            client_id=client.client_id,
            scope=scope,
            ttl=ttl,
            now=services.clock(),
            session_ref=claims["sid"],
        )
        return TokenResponse(access, ttl, scope, extra={"issued_token_type": ACCESS_TOKEN_TYPE})
