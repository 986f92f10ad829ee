"""The grant contract: one class per grant_type, looked up in a table."""

from __future__ import annotations

from typing import ClassVar, Protocol

from ...errors import ErrorCode, OAuthError
from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ..services import Services


class Grant(Protocol):
    grant_type: ClassVar[str]
    client_kinds: ClassVar[frozenset[ClientKind]]
    # May the client record come from the in-process cache after it went stale, while the
    # store is down? Where the grant can finish without the store (anonymous tokens).
    stale_client_ok: ClassVar[bool]

    def requires_secret(self, client: Client) -> bool: ...

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse: ...


def required(req: TokenRequest, name: str) -> str:
    value = req.get(name)
    if value is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, f"The {name} parameter is required.")
    return value
