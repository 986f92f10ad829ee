"""The OAuth endpoints: their paths, the name metrics label them with, the events they log."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN = "/v1/auth/token"
REVOKE = "/v1/auth/revoke"
INTROSPECT = "/v1/auth/introspect"


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # the ``endpoint`` label of the request metrics
    ok_event: str  # the log event of a success
    failed_event: str  # the log event of a failure


ENDPOINTS: dict[str, Endpoint] = {
    TOKEN: Endpoint("token", "token.issued", "token.failed"),
    REVOKE: Endpoint("revoke", "token.revoke", "token.revoke_failed"),
    INTROSPECT: Endpoint("introspect", "token.introspect", "token.introspect_failed"),
}
