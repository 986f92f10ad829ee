"""Client credentials grant: RFC 6749 §4.4.

A marketplace client gets an anonymous ``public-read`` token and no refresh token; an
integration client proves its secret and gets an ``integ`` session with a refresh token.
"""

from __future__ import annotations

from typing import ClassVar

import structlog

from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ...store.keys import client_owner
from ..scopes import INTEG, PUBLIC_READ, grant_scope
from ..services import Services
from ..tokens import RefreshToken, mint_access_token


class ClientCredentialsGrant:
    grant_type: ClassVar[str] = "client_credentials"
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset(ClientKind)
    stateless: ClassVar[bool] = True

    def requires_secret(self, client: Client) -> bool:
        return client.kind is ClientKind.INTEGRATION

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse:
        tokens = services.settings.tokens
        now = services.clock()
        if client.kind is ClientKind.MARKETPLACE:
            scope = grant_scope(req.get("scope"), PUBLIC_READ)
            access = mint_access_token(
                services.jwt,
                sub=client.client_id,
                client_id=client.client_id,
                scope=scope,
                ttl=tokens.access_ttl,
                now=now,
            )
            return TokenResponse(access, tokens.access_ttl, scope)

        scope = grant_scope(req.get("scope"), INTEG)
        refresh = RefreshToken.new(client_owner(client.client_id))
        await services.store.create_session(
            refresh.owner,
            refresh.sid,
            client.client_id,
            scope,
            refresh.digest,
            idle_ms=tokens.refresh_idle_ttl * 1000,
            max_ms=tokens.refresh_max_ttl * 1000,
            cap=tokens.max_sessions,
        )
        structlog.contextvars.bind_contextvars(session=refresh.session_ref)
        access = mint_access_token(
            services.jwt,
            sub=client.client_id,
            client_id=client.client_id,
            scope=scope,
            ttl=tokens.access_ttl,
            now=now,
            session_ref=refresh.session_ref,
        )
        return TokenResponse(access, tokens.access_ttl, scope, refresh_token=refresh.value)
