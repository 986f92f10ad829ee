"""The application layer: the operators' operations with their rules, one implementation for all.

The CLI calls these now and the admin API will call the same ones, so an operation has one
implementation and one set of rules whoever asks. They depend on the store Protocols only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..store.protocols import ClientStore, SessionStore, UserStore
from .apps import Apps, NewApp
from .errors import AdminError, Conflict, Invalid, NotFound
from .keys import GeneratedKey, generate_signing_key
from .sessions import Sessions
from .users import Ended, Users


@dataclass(frozen=True)
class Admin:
    apps: Apps
    users: Users
    sessions: Sessions


def build_admin(
    clients: ClientStore, users: UserStore, sessions: SessionStore, hasher: SecretHasher
) -> Admin:
    user_ops = Users(users, sessions, hasher)
    return Admin(
        apps=Apps(clients, sessions, hasher),
        users=user_ops,
        sessions=Sessions(sessions, user_ops),
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
    "Sessions",
    "Users",
    "build_admin",
    "generate_signing_key",
]
