"""What the login-as pages work with: the operators' sign-in, the stores, the CSRF key."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ...admin import OperatorSessions
from ...loginas.authorize import LoginAsApp
from ...loginas.codes import CODE_TTL
from ...loginas.csrf import CsrfTokens
from ...owners import Owner
from ...store.protocols import ClientStore, LoginCodeStore, UserStore


@dataclass(frozen=True)
class Console:
    operators: OperatorSessions
    clients: ClientStore
    users: UserStore
    codes: LoginCodeStore
    csrf: CsrfTokens
    proxy_hops: int = 0  # trusted proxies in front (X-Forwarded-For, X-Forwarded-Proto)
    code_ttl_ms: int = CODE_TTL * 1000

    async def app(self, client_id: str) -> LoginAsApp | None:
        """The app a request names, read from the store each time (redirect URIs change)."""
        if not Owner.valid_id(client_id):  # what a client id can be: nothing to look up
            return None
        client = await self.clients.get(client_id)
        if client is None:
            return None
        return LoginAsApp(client.client_id, client.name, client.kind, client.redirect_uris)


LOGIN_AS = web.AppKey("login_as", Console)
