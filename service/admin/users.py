"""Operations on marketplace users: create, read, find, change, delete.

Whatever ends a user's access (a new password unless the sessions are kept, disabling,
deleting) ends their sessions in the same atomic store step, whoever calls it: a login or
refresh in flight at that moment cannot leave a session behind. A new e-mail is unverified
unless the same change says otherwise: an identity provider's e-mail match links only to a
verified address.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..models import Identity, User
from ..owners import Owner
from ..store.protocols import IdpStore, SessionStore, UserStore
from ..store.records import Change, Creation, UserChange
from .errors import Conflict, ConflictKind, Invalid, NotFound
from .rules import check_email, check_identities, check_password

NO_USER = "No such user."
EMAIL_TAKEN = "Another user has this e-mail."
RETRIES = 3  # a change raced by another change of the same user is read again and retried


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> Conflict:
    return Conflict(
        f"a user with email {email} exists", kind=ConflictKind.EMAIL_TAKEN, public=EMAIL_TAKEN
    )


def no_user(who: str) -> NotFound:
    return NotFound(f"no user {who}", public=NO_USER)


@dataclass(frozen=True)
class Ended:
    """A user whose state changed, and how many of their sessions ended with it."""

    user: User
    sessions_ended: int


@dataclass(frozen=True)
class UserUpdate:
    """A change of a user; None leaves a field as it is."""

    email: str | None = None
    password: str | None = None
    email_verified: bool | None = None
    disabled: bool | None = None
    keep_sessions: bool | None = None  # with a password only: True keeps the sessions


class Users:
    def __init__(
        self, users: UserStore, sessions: SessionStore, hasher: SecretHasher, idps: IdpStore
    ) -> None:
        self.users = users
        self.sessions = sessions
        self.hasher = hasher
        self.idps = idps

    async def _hash(self, password: str) -> str:
        return await self.hasher.hash_async(check_password(password))

    async def check_providers(self, identities: Iterable[Identity]) -> None:
        for idp_id in sorted({i.idp_id for i in identities}):
            if await self.idps.get(idp_id) is None:
                raise NotFound(
                    f"no identity provider {idp_id}", public="No such identity provider."
                )

    async def create(
        self,
        email: str,
        password: str | None,
        *,
        email_verified: bool = False,
        identities: Iterable[Identity] = (),
    ) -> User:
        """A new user, with the e-mail and every identity claimed in one step (or nothing).
        Without a password the user logs in only through a linked identity provider."""
        normalized = check_email(email)
        linked = check_identities(identities)
        password_hash = await self._hash(password) if password is not None else ""
        await self.check_providers(linked)
        user = User(
            str(uuid.uuid4()),
            normalized,
            password_hash,
            email_verified=email_verified,
            created=int(time.time()),
            identities=linked,
        )
        outcome = await self.users.create(user)
        if outcome is Creation.EMAIL_TAKEN:
            raise email_taken(email)
        if outcome is Creation.IDENTITY_TAKEN:
            raise Conflict(
                "an identity is linked to another user",
                kind=ConflictKind.IDENTITY_TAKEN,
                public="An identity is linked to another user.",
            )
        if outcome is not Creation.CREATED:
            raise Conflict("a user with this id exists; try again")
        return await self.users.get(user.user_id) or user

    async def get(self, user_id: str) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise no_user(user_id)
        return user

    async def find(self, email: str) -> User:
        user = await self.users.find_by_email(email)
        if user is None:
            raise no_user(email)
        return user

    async def list(self) -> list[User]:
        return await self.users.list()

    async def update(self, user_id: str, change: UserUpdate) -> Ended:
        """Apply ``change``: the e-mail first (a conflict changes nothing), then the password
        and disabled state, ending every session in the same step when they say so."""
        if change.keep_sessions is not None and change.password is None:
            raise Invalid("the field keep_sessions goes only with a new password")
        fields = (change.email, change.password, change.email_verified, change.disabled)
        if all(f is None for f in fields):
            raise Invalid("give at least one of email, password, email_verified, disabled")
        email = check_email(change.email) if change.email is not None else None
        if change.password is not None:
            check_password(change.password)
        await self.get(user_id)  # no such user: 404 before any argon2 work
        password_hash = await self._hash(change.password) if change.password is not None else None
        await self._set_email(user_id, email, change.email_verified)
        ends = change.disabled is True or (password_hash is not None and not change.keep_sessions)
        ended = 0
        if ends:
            done = await self.sessions.end_all(
                Owner.user(user_id),
                UserChange(password_hash=password_hash, disabled=change.disabled),
            )
            if done is None:
                raise no_user(user_id)
            ended = done
        else:
            if password_hash is not None and not await self.users.set_password(
                user_id, password_hash
            ):
                raise no_user(user_id)
            if change.disabled is False and not await self.users.set_disabled(user_id, False):
                raise no_user(user_id)
        return Ended(await self.get(user_id), ended)

    async def _set_email(self, user_id: str, email: str | None, verified: bool | None) -> None:
        for _ in range(RETRIES):
            user = await self.get(user_id)
            if email is None or email == user.email:
                if verified is not None and verified != user.email_verified:
                    if not await self.users.set_email_verified(user_id, verified):
                        raise no_user(user_id)
                return
            outcome = await self.users.set_email(user, email, bool(verified))
            if outcome is Change.DONE:
                return
            if outcome is Change.TAKEN:
                raise email_taken(email)
            if outcome is Change.NO_USER:
                raise no_user(user_id)
        raise Conflict(
            "the user changed meanwhile; try again", public="The user changed meanwhile."
        )

    async def delete(self, user_id: str) -> Ended:
        """Delete the user, ending every session of theirs in the same step; their e-mail and
        identities are free again."""
        user = await self.get(user_id)
        return Ended(user, await self.users.delete(user))

    # the CLI's faces: a user named by e-mail ---------------------------------------------------
    async def set_password(self, email: str, password: str, *, logout: bool = False) -> Ended:
        """A new password; with ``logout`` every session of the user ends in the same step."""
        user = await self.find(email)
        return await self.update(
            user.user_id, UserUpdate(password=password, keep_sessions=not logout)
        )

    async def set_disabled(self, email: str, disabled: bool) -> Ended:
        """Disable the user, ending every session in the same step; or enable the user."""
        user = await self.find(email)
        return await self.update(user.user_id, UserUpdate(disabled=disabled))

    async def delete_by_email(self, email: str) -> Ended:
        return await self.delete((await self.find(email)).user_id)
