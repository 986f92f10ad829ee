"""Operations on marketplace users: create, find, list, set a password, disable, delete.

Whatever ends a user's access (a password change with logout, disabling, deleting) ends their
sessions in the same atomic store step, whoever calls it: a login or refresh in flight at that
moment cannot leave a session behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..models import User
from ..owners import Owner
from ..store.protocols import SessionStore, UserStore
from ..store.records import UserChange
from .errors import Conflict, Invalid, NotFound


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Ended:
    """A user whose state changed, and how many of their sessions ended with it."""

    user: User
    sessions_ended: int


class Users:
    def __init__(self, users: UserStore, sessions: SessionStore, hasher: SecretHasher) -> None:
        self.users = users
        self.sessions = sessions
        self.hasher = hasher

    async def _hash(self, password: str) -> str:
        if not password:
            raise Invalid("empty password")
        return await self.hasher.hash_async(password)

    async def create(self, email: str, password: str) -> User:
        user = User(str(uuid.uuid4()), normalize_email(email), await self._hash(password))
        if not await self.users.create(user):
            raise Conflict(f"a user with email {email} exists")
        return user

    async def find(self, email: str) -> User:
        user_id = await self.users.find_id(email)
        user = await self.users.get(user_id) if user_id else None
        if user is None:
            raise NotFound(f"no user {email}")
        return user

    async def list(self) -> list[User]:
        return await self.users.list()

    async def set_password(self, email: str, password: str, *, logout: bool = False) -> Ended:
        """A new password; with ``logout`` every session of the user ends in the same step."""
        user = await self.find(email)
        password_hash = await self._hash(password)
        if logout:
            ended = await self.sessions.end_all(
                Owner.user(user.user_id), UserChange(password_hash=password_hash)
            )
        else:
            ended = 0 if await self.users.set_password(user.user_id, password_hash) else None
        if ended is None:  # deleted meanwhile
            raise NotFound(f"no user {email}")
        return Ended(user, ended)

    async def set_disabled(self, email: str, disabled: bool) -> Ended:
        """Disable the user, ending every session in the same step; or enable the user."""
        user = await self.find(email)
        if disabled:
            ended = await self.sessions.end_all(Owner.user(user.user_id), UserChange(disabled=True))
        else:
            ended = 0 if await self.users.set_disabled(user.user_id, False) else None
        if ended is None:  # deleted meanwhile
            raise NotFound(f"no user {email}")
        return Ended(user, ended)

    async def delete(self, email: str) -> Ended:
        """Delete the user and end every session of theirs in one step."""
        user = await self.find(email)
        return Ended(user, await self.users.delete(user))
