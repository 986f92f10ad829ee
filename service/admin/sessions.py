"""Operations on sessions: list an owner's, end one by its reference, end all of an owner's."""

from __future__ import annotations

from ..owners import Owner, SessionRef
from ..store.protocols import SessionStore
from ..store.records import SessionInfo
from .errors import Invalid
from .users import Users


class Sessions:
    def __init__(self, sessions: SessionStore, users: Users) -> None:
        self.sessions = sessions
        self.users = users

    async def user_owner(self, email: str) -> Owner:
        """The owner of the sessions of the user with this email."""
        return Owner.user((await self.users.find(email)).user_id)

    async def list(self, owner: Owner) -> list[SessionInfo]:
        return await self.sessions.list(owner)

    async def end(self, session_id: str) -> int:
        """End the session ``<owner>.<session id>`` names; how many ended (0 or 1)."""
        ref = SessionRef.parse(session_id, any_session_id=True)
        if ref is None:
            raise Invalid("a session id looks like u-<user id>.<id> or c-<client id>.<id>")
        return int(await self.sessions.end(ref))

    async def end_all(self, owner: Owner) -> int:
        """End every session of the owner in one step; how many ended (0 for no such user)."""
        return await self.sessions.end_all(owner) or 0
