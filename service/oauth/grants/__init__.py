"""The grant table: the one extension point of the token endpoint."""

from __future__ import annotations

from collections.abc import Mapping

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
)
ALIASES = {TOKEN_EXCHANGE_URN: TokenExchangeGrant.grant_type}


def build_grant_table() -> Mapping[str, Grant]:
    """grant_type (and alias) -> grant instance."""
    table: dict[str, Grant] = {cls.grant_type: cls() for cls in ALL_GRANTS}
    for alias, name in ALIASES.items():
        table[alias] = table[name]
    return table


__all__ = ["ALL_GRANTS", "Grant", "build_grant_table"]
