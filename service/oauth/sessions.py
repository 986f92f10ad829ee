"""Opening a session: the step the password and integration client_credentials grants share."""

from __future__ import annotations

from .. import context
from ..models import TokenResponse
from .services import Services
from .tokens import RefreshToken, mint_access_token


async def open_session(
    services: Services,
    *,
    owner: str,
    sub: str,
    client_id: str,
    scope: str,
    user_generation: int | None = None,
) -> TokenResponse | None:
    """Store a new session (one Lua call) and answer with its first token pair.

    For a user the same Lua step checks that the user still exists, is not disabled and (given
    ``user_generation``, read before the password check) has not had every session ended
    since; None when it refused (nothing was stored)."""
    tokens = services.settings.tokens
    refresh = RefreshToken.new(owner)
    created = await services.store.create_session(
        refresh.owner,
        refresh.sid,
        client_id,
        scope,
        refresh.digest,
        idle_ms=tokens.refresh_idle_ttl * 1000,
        max_ms=tokens.refresh_max_ttl * 1000,
        cap=tokens.max_sessions,
        generation=user_generation,
    )
    if not created:
        return None
    context.annotate(session=refresh.session_ref)
    access = mint_access_token(
        services.jwt,
        sub=sub,
        client_id=client_id,
        scope=scope,
        ttl=tokens.access_ttl,
        now=services.clock(),
        session_ref=refresh.session_ref,
    )
    return TokenResponse(access, tokens.access_ttl, scope, refresh_token=refresh.value)
