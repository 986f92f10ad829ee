"""Opening a session: the step the password and integration client_credentials grants share."""

from __future__ import annotations

from .. import context
from ..models import TokenResponse
from ..owners import Owner
from .outcomes import SessionEvent
from .services import Services
from .tokens import RefreshToken, mint_access_token


async def open_session(
    services: Services,
    *,
    owner: Owner,
    client_id: str,
    scope: str,
    user_generation: int | None = None,
) -> TokenResponse | None:
    """Store a new session (one store step) and answer with its first token pair.

    For a user the same step checks that the user still exists, is not disabled and (given
    ``user_generation``, read before the password check) has not had every session ended
    since; None when it refused (nothing was stored)."""
    tokens = services.settings.tokens
    refresh = RefreshToken.new(owner)
    created = await services.sessions.create(
        refresh.ref,
        client_id=client_id,
        scope=scope,
        digest=refresh.digest,
        limits=services.limits,
        user_generation=user_generation,
    )
    if created is None:
        return None
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
