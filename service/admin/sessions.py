"""Operations on sessions: list an owner's, end one by its reference, end all of an owner's.

Ending all of a user's sessions is one store step that also advances the user's session
generation, so a login or refresh in flight at that moment leaves no session behind.
"""

from __future__ import annotations

from ..owners import Owner, SessionRef
from ..store.protocols import SessionStore
from ..store.records import SessionInfo
from .errors import Invalid, NotFound
from .users import Users, no_user


class Sessions:
    def __init__(self, sessions: SessionStore, users: Users) -> None:
        self.sessions = sessions
        self.users = users

    async def user_owner(self, email: str) -> Owner:
        """The owner of the sessions of the user with this email."""
        return Owner.user((await self.users.find(email)).user_id)

    async def list_of_user(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, oldest first; NotFound for no such user."""
        await self.users.get(user_id)
        found = await self.sessions.list(Owner.user(user_id))
        return sorted(found, key=lambda s: (s.created, s.absolute_expiry_ms, s.ref.sid))

    async def end(self, session_id: str) -> int:
        """End the session ``<owner>.<session id>`` names; how many ended (0 or 1)."""
        ref = SessionRef.parse(session_id, any_session_id=True)
        if ref is None:
            raise Invalid("a session id looks like u-<user id>.<id> or c-<client id>.<id>")
        return int(await self.sessions.end(ref))

    async def end_one(self, ref: SessionRef) -> None:
        """End one live session; NotFound when there is none."""
        if not await self.sessions.end(ref):
            raise NotFound(f"no session {ref}", public="No such session.")

    async def end_all(self, owner: Owner) -> int:
        """End every session of the owner in one step; how many ended (0 for no such user)."""
        return await self.sessions.end_all(owner) or 0

    async def end_all_of_user(self, user_id: str) -> int:
        """Log the user out everywhere; NotFound for no such user."""
        ended = await self.sessions.end_all(Owner.user(user_id))
        if ended is None:
            raise no_user(user_id)
        return ended

    # Defined last: inside the class its name would shadow the builtin in the annotations above.
    async def list(self, owner: Owner) -> list[SessionInfo]:
        return await self.sessions.list(owner)
