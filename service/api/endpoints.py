"""The OAuth endpoints: their paths, the name metrics label them with, the events they log."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN = "/v1/auth/token"
REVOKE = "/v1/auth/revoke"
INTROSPECT = "/v1/auth/introspect"
AUTH_WITH_IDP = "/v1/auth/auth_with_idp"


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # the ``endpoint`` label of the request metrics
    ok_event: str  # the log event of a success
    failed_event: str  # the log event of a failure


ENDPOINTS: dict[str, Endpoint] = {
    TOKEN: Endpoint("token", "token.issued", "token.failed"),
    REVOKE: Endpoint("revoke", "token.revoke", "token.revoke_failed"),
    INTROSPECT: Endpoint("introspect", "token.introspect", "token.introspect_failed"),
    # Social login issues tokens as the password grant does: the same events, with the IdP's id.
    AUTH_WITH_IDP: Endpoint("auth_with_idp", "token.issued", "token.failed"),
}
