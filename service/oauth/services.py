"""Services: what the OAuth layer needs, wired once by the composition root."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..crypto.hashing import SecretHasher
from ..crypto.jwt import JwtCodec
from ..settings import Settings
from ..store.redis import RedisStore
from .clients import ClientDirectory
from .outcomes import Outcomes

if TYPE_CHECKING:
    from .grants.base import Grant


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: RedisStore
    hasher: SecretHasher
    jwt: JwtCodec
    clients: ClientDirectory
    grants: Mapping[str, Grant]
    outcomes: Outcomes = field(default_factory=Outcomes)
    clock: Callable[[], float] = field(default=time.time)
