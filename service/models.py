"""Plain records passed between layers (no aiohttp, no Redis here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ClientKind(StrEnum):
    MARKETPLACE = "marketplace"
    INTEGRATION = "integration"


@dataclass(frozen=True)
class Client:
    """An application: the marketplace kind may have a secret, the integration kind must."""

    client_id: str
    kind: ClientKind
    name: str
    secret_hash: str = ""  # argon2id hash; empty when the client has no secret
    redirect_uris: tuple[str, ...] = ()  # where log in as a user may return (exact URIs)
    created: int = 0  # seconds since the epoch; 0 when unknown

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_hash)


@dataclass(frozen=True, order=True)
class Identity:
    """A user's account at an identity provider: the provider's id and the account's ``sub``."""

    idp_id: str
    sub: str


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    password_hash: str  # argon2id; empty when the user logs in only through an identity provider
    disabled: bool = False
    generation: int = 0  # advances whenever all of the user's sessions end
    email_verified: bool = False
    created: int = 0  # seconds since the epoch; 0 when unknown
    identities: tuple[Identity, ...] = ()  # at most one per provider, sorted by idp_id

    def identity(self, idp_id: str) -> Identity | None:
        """The user's account at this provider, if linked."""
        return next((i for i in self.identities if i.idp_id == idp_id), None)


@dataclass(frozen=True)
class Operator:
    """A person who may log in as a user: an account of its own, apart from marketplace users."""

    operator_id: str
    email: str
    password_hash: str  # argon2id
    disabled: bool = False
    created: int = 0  # seconds since the epoch


@dataclass(frozen=True)
class ClientCredentials:
    """What the request presented to identify its client (body or HTTP Basic)."""

    client_id: str | None
    client_secret: str | None
    via_basic: bool = False


@dataclass(frozen=True)
class TokenRequest:
    """A parsed form request: parameters with empty values already dropped."""

    params: Mapping[str, str]
    credentials: ClientCredentials
    source: str = ""  # the client's address, after trusted proxy hops
    bearer: str | None = None  # an Authorization: Bearer token (revoke)

    def get(self, name: str) -> str | None:
        return self.params.get(name)


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body.update(self.extra)
        return body
