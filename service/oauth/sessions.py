"""Opening a session: the step the password and integration client_credentials grants share."""

from __future__ import annotations

from .. import context
from ..models import TokenResponse
from ..owners import Owner
from .outcomes import SessionEvent
from .services import Services
from .tokens import RefreshToken, mint_access_token


async def open_session(
    services: Services, *, owner: Owner, client_id: str, scope: str
) -> TokenResponse:
    """Store a new session (one store step) and answer with its first token pair."""
    tokens = services.settings.tokens
    refresh = RefreshToken.new(owner)
    await services.sessions.create(
        refresh.ref,
        client_id=client_id,
        scope=scope,
        digest=refresh.digest,
        limits=services.limits,
    )
    services.outcomes.report(SessionEvent.CREATED)
    session_ref = refresh.session_ref
    context.annotate(session=session_ref)
    access = mint_access_token(
        services.jwt,
        sub=owner.id,
        client_id=client_id,
        scope=scope,
        ttl=tokens.access_ttl,
        now=services.clock(),
        session_ref=session_ref,
    )
    return TokenResponse(access, tokens.access_ttl, scope, refresh_token=refresh.value)
