"""The identity an identity provider vouched for, once its token verified."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says the token's holder is; ``email_verified`` only when it says so."""

    idp_id: str
    sub: str
    email: str | None
    email_verified: bool
