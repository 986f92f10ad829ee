"""Services: what the OAuth layer needs, wired once by the composition root.

The stores are the Protocols of ``store/protocols.py``: the OAuth layer never sees Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..crypto.hashing import SecretHasher
from ..crypto.jwt import JwtCodec
from ..settings import Settings, TokenSettings
from ..store.protocols import (
    IdpStore,
    LoginCodeStore,
    LoginThrottle,
    OperatorStore,
    RevocationStore,
    SessionStore,
    UserStore,
)
from ..store.records import SessionLimits
from ..throttling.lines import WaitingLines
from .clients import ClientDirectory
from .outcomes import Outcomes

if TYPE_CHECKING:
    from .grants.base import Grant


def session_limits(tokens: TokenSettings) -> SessionLimits:
    """The session lifetimes of the token settings, in the store's units."""
    return SessionLimits(
        idle_ms=tokens.refresh_idle_ttl * 1000,
        max_ms=tokens.refresh_max_ttl * 1000,
        grace_ms=tokens.refresh_grace * 1000,
        cap=tokens.max_sessions,
    )


@dataclass(frozen=True)
class Services:
    settings: Settings
    sessions: SessionStore
    users: UserStore
    idps: IdpStore  # identity providers, for social login
    revocations: RevocationStore
    throttle: LoginThrottle
    hasher: SecretHasher
    jwt: JwtCodec
    clients: ClientDirectory
    grants: Mapping[str, Grant]
    login_codes: LoginCodeStore
    operators: OperatorStore
    outcomes: Outcomes = field(default_factory=Outcomes)
    login_lines: WaitingLines = field(default_factory=WaitingLines)
    clock: Callable[[], float] = field(default=time.time)
    limits: SessionLimits = field(init=False)  # from settings.tokens, computed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", session_limits(self.settings.tokens))
