"""Operations on users' identity-provider links: link (or replace), unlink.

A user has at most one account per provider, and an account belongs to at most one user.
Linking needs the provider to exist; unlinking keeps the user's sessions.
"""

from __future__ import annotations

from ..models import Identity, User
from ..store.records import Change
from .errors import Conflict, ConflictKind, NotFound
from .rules import check_idp_id, check_sub
from .users import RETRIES, Users, no_user


class Identities:
    def __init__(self, users: Users) -> None:
        self.users = users

    async def link(self, user_id: str, idp_id: str, sub: str) -> tuple[User, bool]:
        """Link the user to ``sub`` at ``idp_id``; (the user, True when they had no link to
        this provider before)."""
        identity = Identity(check_idp_id(idp_id), check_sub(sub))
        await self.users.get(user_id)
        await self.users.check_providers([identity])
        for _ in range(RETRIES):
            user = await self.users.get(user_id)
            before = user.identity(idp_id)
            if before == identity:
                return user, False
            outcome = await self.users.users.link(user, identity)
            if outcome is Change.DONE:
                return await self.users.get(user_id), before is None
            if outcome is Change.TAKEN:
                raise Conflict(
                    "this identity is linked to another user",
                    kind=ConflictKind.IDENTITY_TAKEN,
                    public="This identity-provider account is linked to another user.",
                )
            if outcome is Change.NO_USER:
                raise no_user(user_id)
        raise Conflict(
            "the user changed meanwhile; try again", public="The user changed meanwhile."
        )

    async def unlink(self, user_id: str, idp_id: str) -> User:
        """Unlink the user's account at ``idp_id``; the user's sessions stay."""
        for _ in range(RETRIES):
            user = await self.users.get(user_id)
            identity = user.identity(idp_id)
            if identity is None:
                raise NotFound(
                    f"user {user_id} has no identity at {idp_id}",
                    public="The user has no link to this identity provider.",
                )
            outcome = await self.users.users.unlink(user, identity)
            if outcome is Change.DONE:
                return await self.users.get(user_id)
            if outcome is Change.NO_USER:
                raise no_user(user_id)
        raise Conflict(
            "the user changed meanwhile; try again", public="The user changed meanwhile."
        )
