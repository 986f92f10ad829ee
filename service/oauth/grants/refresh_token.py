"""Refresh token grant: RFC 6749 §6, with graceful rotation and reuse detection.

One atomic store step validates, rotates and answers. Within the grace window the previous token
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
from ...store.records import GraceReplay, Reused, Rotated, WiderScope
from ..outcomes import SessionEvent
from ..scopes import parse_scope
from ..services import Services
from ..tokens import RefreshToken, mint_access_token
from .base import required

log = structlog.get_logger("tokenhouse.refresh")


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
        successor = RefreshToken.new(presented.owner, presented.sid)
        result = await services.sessions.rotate(
            presented.ref,
            client_id=client.client_id,
            presented=presented.digest,
            successor=successor.digest,
            wrapped=presented.wrap(successor),
            scope=" ".join(requested or ()),
            limits=services.limits,
        )
        session_ref = presented.session_ref
        context.annotate(session=session_ref)
        match result:
            case Rotated(scope=session_scope):
                current = successor
                services.outcomes.report(SessionEvent.ROTATED)
            case GraceReplay(scope=session_scope, wrapped=wrapped):
                current = presented.unwrap(wrapped)
                services.outcomes.report(SessionEvent.GRACE_REPLAYED)
            case Reused():
                services.outcomes.report(SessionEvent.REUSE_DETECTED)
                log.warning(
                    "token.refresh_reuse_detected", client_id=client.client_id, session=session_ref
                )
                raise OAuthError(
                    ErrorCode.INVALID_GRANT, detail="refresh token reuse: session revoked"
                )
            case WiderScope():
                raise OAuthError(ErrorCode.INVALID_SCOPE, "The scope exceeds the session's scope.")
            case _:
                raise OAuthError(
                    ErrorCode.INVALID_GRANT, detail="unknown, expired or foreign refresh token"
                )

        tokens = services.settings.tokens
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
            session_ref=session_ref,
        )
        return TokenResponse(access, tokens.access_ttl, scope, refresh_token=current.value)
