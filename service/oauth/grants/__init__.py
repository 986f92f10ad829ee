"""The grant table: the one extension point of the token endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .authorization_code import AuthorizationCodeGrant
from .base import Grant
from .client_credentials import ClientCredentialsGrant
from .password import PasswordGrant
from .refresh_token import RefreshTokenGrant
from .token_exchange import URN as TOKEN_EXCHANGE_URN
from .token_exchange import TokenExchangeGrant

ALL_GRANTS: tuple[type[Grant], ...] = (
    ClientCredentialsGrant,
    PasswordGrant,
    TokenExchangeGrant,
    RefreshTokenGrant,
    AuthorizationCodeGrant,
)
ALIASES = {TOKEN_EXCHANGE_URN: TokenExchangeGrant.grant_type}


def build_grant_table(enabled: Iterable[str] | None = None) -> Mapping[str, Grant]:
    """grant_type (and alias) -> grant instance, for the ``enabled`` grant types (all when
    None; ``settings.grants.enabled`` names them, checked at start-up)."""
    wanted = None if enabled is None else set(enabled)
    table: dict[str, Grant] = {
        cls.grant_type: cls() for cls in ALL_GRANTS if wanted is None or cls.grant_type in wanted
    }
    for alias, name in ALIASES.items():
        if name in table:
            table[alias] = table[name]
    return table


__all__ = ["ALL_GRANTS", "Grant", "build_grant_table"]
