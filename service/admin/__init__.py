"""The application layer: the operators' operations with their rules, one implementation for all.

The CLI calls these now and the admin API will call the same ones, so an operation has one
implementation and one set of rules whoever asks. They depend on the store Protocols only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..store.protocols import ClientStore, OperatorStore, SessionStore, UserStore
from .apps import Apps, NewApp
from .errors import AdminError, Conflict, Invalid, NotFound
from .keys import GeneratedKey, generate_signing_key
from .operator_sessions import OperatorSessions, SignIn
from .operators import Operators
from .sessions import Sessions
from .users import Ended, Users


@dataclass(frozen=True)
class Admin:
    apps: Apps
    users: Users
    sessions: Sessions
    operators: Operators


def build_admin(
    clients: ClientStore,
    users: UserStore,
    sessions: SessionStore,
    hasher: SecretHasher,
    operators: OperatorStore,
) -> Admin:
    user_ops = Users(users, sessions, hasher)
    return Admin(
        apps=Apps(clients, sessions, hasher),
        users=user_ops,
        sessions=Sessions(sessions, user_ops),
        operators=Operators(operators, hasher),
    )


__all__ = [
    "Admin",
    "AdminError",
    "Apps",
    "Conflict",
    "Ended",
    "GeneratedKey",
    "Invalid",
    "NewApp",
    "NotFound",
    "OperatorSessions",
    "Operators",
    "Sessions",
    "SignIn",
    "Users",
    "build_admin",
    "generate_signing_key",
]
