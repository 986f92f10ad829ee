"""Client credentials grant: RFC 6749 §4.4.

A marketplace client gets an anonymous ``public-read`` token and no refresh token; an
integration client proves its secret and gets an ``integ`` session with a refresh token.
"""

from __future__ import annotations

from typing import ClassVar

from ...errors import ErrorCode, OAuthError
from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ...owners import Owner
from ..scopes import INTEG, PUBLIC_READ, grant_scope
from ..services import Services
from ..sessions import open_session
from ..tokens import mint_access_token


class ClientCredentialsGrant:
    grant_type: ClassVar[str] = "client_credentials"
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset(ClientKind)
    stale_client_ok: ClassVar[bool] = True

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

        response = await open_session(
            services,
            owner=Owner.client(client.client_id),
            client_id=client.client_id,
            scope=grant_scope(req.get("scope"), INTEG),
        )
        if response is None:  # never for a client: only a user's session checks its owner
            raise OAuthError(ErrorCode.SERVER_ERROR, detail="integration session refused")
        return response
