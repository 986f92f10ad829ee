"""Refresh token grant: RFC 6749 §6, with graceful rotation and reuse detection.

One Lua script validates, rotates and answers. Within the grace window the previous token
yields the current one, so the SDKs' parallel refreshes all succeed and converge on one live
refresh token; the previous token used after the window revokes the whole session
(RFC 9700 §4.14.2). A token of another client, a forged token or an unknown one changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

import structlog

from ... import context
from ...errors import ErrorCode, OAuthError
from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ..outcomes import SessionEvent
from ..scopes import parse_scope
from ..services import Services
from ..tokens import RefreshToken, mint_access_token
from .base import required

log = structlog.get_logger("tokenhouse.refresh")

INVALID, ROTATED, GRACE, REUSED, WIDER_SCOPE = 0, 1, 2, 3, 4


class RefreshTokenGrant:
    grant_type: ClassVar[str] = "refresh_token"
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset(ClientKind)
    stale_client_ok: ClassVar[bool] = False

    def requires_secret(self, client: Client) -> bool:
        return False  # the SDKs refresh with client_id alone, integration clients too

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse:
        presented = RefreshToken.parse(required(req, "refresh_token"))
        requested = parse_scope(req.get("scope"))
        if presented is None:
            raise OAuthError(ErrorCode.INVALID_GRANT, detail="malformed refresh token")
        tokens = services.settings.tokens
        successor = RefreshToken.new(presented.owner, presented.sid)
        result = await services.store.refresh_session(
            presented.owner,
            presented.sid,
            presented.digest,
            client.client_id,
            successor.digest,
            presented.wrap(successor),
            grace_ms=tokens.refresh_grace * 1000,
            idle_ms=tokens.refresh_idle_ttl * 1000,
            scope=" ".join(requested or ()),
        )
        code = int(result[0])
        context.annotate(session=presented.session_ref)
        if code == REUSED:
            services.outcomes.report(SessionEvent.REUSE_DETECTED)
            log.warning(
                "token.refresh_reuse_detected",
                client_id=client.client_id,
                session=presented.session_ref,
            )
            raise OAuthError(ErrorCode.INVALID_GRANT, detail="refresh token reuse: session revoked")
        if code == WIDER_SCOPE:
            raise OAuthError(ErrorCode.INVALID_SCOPE, "The scope exceeds the session's scope.")
        if code not in (ROTATED, GRACE):
            raise OAuthError(
                ErrorCode.INVALID_GRANT, detail="unknown, expired or foreign refresh token"
            )

        services.outcomes.report(
            SessionEvent.ROTATED if code == ROTATED else SessionEvent.GRACE_REPLAYED
        )
        session_scope = result[1].decode() if isinstance(result[1], bytes) else str(result[1])
        current = successor if code == ROTATED else presented.unwrap(bytes(result[3]))
        scope = " ".join(requested) if requested else session_scope
        owner = presented.owner
        if owner.is_user:
            context.annotate(user_id=owner.id)
        access = mint_access_token(
            services.jwt,
            sub=owner.id,
            client_id=client.client_id,
            scope=scope,
            ttl=tokens.access_ttl,
            now=services.clock(),
            session_ref=presented.session_ref,
        )
        return TokenResponse(access, tokens.access_ttl, scope, refresh_token=current.value)
