"""The application layer: the operators' operations with their rules, one implementation for all.

The CLI and the admin API call the same operations, so an operation has one implementation
and one set of rules whoever asks. They depend on the store Protocols only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..crypto.hashing import SecretHasher
from ..store.protocols import (
    AdminTokenStore,
    ClientStore,
    IdpStore,
    OperatorStore,
    SessionStore,
    UserStore,
)
from .admin_tokens import AdminTokens, NewAdminToken
from .apps import Apps, NewApp
from .errors import AdminError, Conflict, ConflictKind, Invalid, NotFound
from .identities import Identities
from .idps import IdpRecord, Idps
from .keys import GeneratedKey, generate_signing_key
from .operator_sessions import OperatorSessions, SignIn
from .operators import Operators
from .sessions import Sessions
from .users import Ended, Users, UserUpdate


class AdminStores(Protocol):
    """The stores the operations work on (a store backend offers them all)."""

    @property
    def clients(self) -> ClientStore: ...

    @property
    def users(self) -> UserStore: ...

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def admin_tokens(self) -> AdminTokenStore: ...

    @property
    def idps(self) -> IdpStore: ...

    @property
    def operators(self) -> OperatorStore: ...


@dataclass(frozen=True)
class Admin:
    apps: Apps
    users: Users
    sessions: Sessions
    identities: Identities
    idps: Idps
    admin_tokens: AdminTokens
    operators: Operators


def build_admin(stores: AdminStores, hasher: SecretHasher, *, production: bool = False) -> Admin:
    """Every operation on ``stores``; ``production`` tightens URL rules (https only)."""
    user_ops = Users(stores.users, stores.sessions, hasher, stores.idps)
    return Admin(
        apps=Apps(stores.clients, stores.sessions, hasher, production=production),
        users=user_ops,
        sessions=Sessions(stores.sessions, user_ops),
        identities=Identities(user_ops),
        idps=Idps(stores.idps, stores.users, production=production),
        admin_tokens=AdminTokens(stores.admin_tokens),
        operators=Operators(stores.operators, hasher),
    )


__all__ = [
    "Admin",
    "AdminError",
    "AdminStores",
    "AdminTokens",
    "Apps",
    "Conflict",
    "ConflictKind",
    "Ended",
    "GeneratedKey",
    "Identities",
    "IdpRecord",
    "Idps",
    "Invalid",
    "NewAdminToken",
    "NewApp",
    "NotFound",
    "OperatorSessions",
    "Operators",
    "Sessions",
    "SignIn",
    "UserUpdate",
    "Users",
    "build_admin",
    "generate_signing_key",
]
