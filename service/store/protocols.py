"""The storage contract: one small Protocol per concern, all the layers above may ask of a store.

Every method may raise ``StoreUnavailable`` (the store did not answer in time, refused, or is
out of memory); nothing else of the backend crosses this line. ``service/store/redis/`` is the
one implementation; a new backend implements these Protocols and nothing more.
"""

from __future__ import annotations

from typing import Protocol

from ..models import Client, Operator, User
from ..owners import Owner, SessionRef
from .records import (
    AdminTokenRecord,
    AttemptResult,
    CodeRecord,
    CodeResult,
    InspectedRefresh,
    LiveSession,
    LoginCounter,
    RefreshResult,
    SessionInfo,
    SessionLimits,
    UserChange,
)


class ClientStore(Protocol):
    """Applications (OAuth clients). A deleted client's id is never given out again."""

    async def get(self, client_id: str) -> Client | None:
        """The client; None when there is none, or it was deleted."""
        ...

    async def create(self, client: Client) -> bool:
        """Store a new client; False when the id is taken, by a live or a deleted client."""
        ...

    async def is_deleted(self, client_id: str) -> bool:
        """Did this id belong to a client that was deleted?"""
        ...

    async def save(self, client: Client) -> None:
        """Write a client's record over any with its id (a deleted client stays deleted)."""
        ...

    async def set_secret(self, client_id: str, secret_hash: str) -> bool:
        """Replace the client's secret hash; False when there is no such client."""
        ...

    async def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: tuple[str, ...] | None = None,
    ) -> Client | None:
        """Set the given fields of a live client; the client as it is now, None when there is
        no such client (a deleted one stays deleted)."""
        ...

    async def delete(self, client_id: str) -> bool:
        """Delete the client's record, keeping its id taken; False when there was none (its
        sessions are the caller's business)."""
        ...

    async def list(self) -> list[Client]: ...


class UserStore(Protocol):
    """Marketplace users, found by id or by (case-insensitive) email."""

    async def find_id(self, email: str) -> str | None: ...

    async def get(self, user_id: str) -> User | None: ...

    async def create(self, user: User) -> bool:
        """Store a new user; False when the email is taken."""
        ...

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        """Sessions stay (see ``SessionStore.end_all``); False when there is no such user."""
        ...

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """Sessions stay (see ``SessionStore.end_all``); False when there is no such user."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace the hash only if it is still ``old_hash`` (rehash on login, a compare-and-
        set); True when replaced."""
        ...

    async def delete(self, user: User) -> int:
        """Delete the user and end every session of theirs in one step, then free the email;
        how many sessions ended."""
        ...

    async def list(self) -> list[User]: ...


class SessionStore(Protocol):
    """Refresh-token sessions; each method is one atomic step."""

    async def create(
        self,
        ref: SessionRef,
        *,
        client_id: str,
        scope: str,
        digest: bytes,
        limits: SessionLimits,
        user_generation: int | None = None,
    ) -> int | None:
        """Store a new session holding ``digest``; its absolute expiry (ms since the epoch).

        For a user the same step checks that the user exists, is not disabled and (given
        ``user_generation``, read before the password check) has not had every session ended
        since; None when it refused (nothing stored)."""
        ...

    async def rotate(
        self,
        ref: SessionRef,
        *,
        client_id: str,
        presented: bytes,
        successor: bytes,
        wrapped: bytes,
        scope: str,
        limits: SessionLimits,
    ) -> RefreshResult:
        """Validate the ``presented`` digest and rotate to ``successor`` (graceful rotation).

        ``wrapped`` is the successor's secret wrapped under the presented token; ``scope`` is
        the requested scope ('' for the session's). A user who is gone or disabled has no live
        session."""
        ...

    async def revoke(self, ref: SessionRef, *, digest: bytes, client_id: str) -> bool:
        """End the session if ``digest`` is one of its live tokens and ``client_id`` its
        client (RFC 7009 §2.1); True when it ended."""
        ...

    async def check(self, ref: SessionRef, jti: str) -> LiveSession | None:
        """The session, if alive (its user present, not disabled) and its access token ``jti``
        is not revoked."""
        ...

    async def inspect(self, ref: SessionRef, digest: bytes) -> InspectedRefresh | None:
        """The session, if alive and ``digest`` is one of its live refresh tokens; nothing
        changes."""
        ...

    async def list(self, owner: Owner) -> list[SessionInfo]: ...

    async def end(self, ref: SessionRef) -> bool:
        """End one session whatever its tokens; True when there was one."""
        ...

    async def end_all(self, owner: Owner, change: UserChange | None = None) -> int | None:
        """End every session of the owner in one step; how many there were.

        For a user the same step applies ``change`` and advances the user's session generation,
        so a login in flight creates no session afterwards; None: there is no such user (nothing
        changed)."""
        ...


class RevocationStore(Protocol):
    """Access tokens revoked before they expire, by ``jti`` (owner None: anonymous tokens)."""

    async def is_revoked(self, owner: Owner | None, jti: str) -> bool: ...

    async def revoke(self, owner: Owner | None, jti: str, ttl_ms: int) -> None: ...


class LoginThrottle(Protocol):
    """Login-attempt counters per account and per source, each counted atomically on its own."""

    async def count(self, counter: LoginCounter, *, limit: int, window: int) -> AttemptResult:
        """Count one attempt unless the counter is at ``limit``; a new count lives ``window``
        seconds (a counter never outlives its window)."""
        ...

    async def forgive(self, counter: LoginCounter, *, everything: bool = False) -> None:
        """Give back one counted attempt, or every one (the window is kept)."""
        ...


class OperatorStore(Protocol):
    """Operators (the people who log in as a user), found by id or by lower-case e-mail."""

    async def create(self, operator: Operator) -> bool:
        """Store a new operator with its e-mail in one step; False when the e-mail is taken."""
        ...

    async def get(self, operator_id: str) -> Operator | None: ...

    async def find(self, email: str) -> Operator | None:
        """The operator with this (lower-case) e-mail."""
        ...

    async def set_disabled(self, operator_id: str, disabled: bool) -> bool:
        """Disabling also ends every session of the operator; False when there is none."""
        ...

    async def delete(self, operator: Operator) -> bool:
        """Delete the operator (every session of theirs ends) and free the e-mail; False when
        there was none."""
        ...

    async def list(self) -> list[Operator]: ...


class OperatorSessionStore(Protocol):
    """Operators' browser sessions, each kept under a digest of its id for ``ttl_ms``."""

    async def start(self, digest: str, operator_id: str, ttl_ms: int) -> bool:
        """Start a session if the operator exists and is not disabled (one step); False when
        refused (nothing stored)."""
        ...

    async def operator(self, digest: str) -> Operator | None:
        """The session's operator while the session lives and the operator may act (present,
        not disabled, not disabled since the session started)."""
        ...

    async def end(self, digest: str) -> None: ...


class LoginCodeStore(Protocol):
    """Login-as authorization codes by digest: saved once, consumed once, each one step."""

    async def save(self, digest: str, record: CodeRecord, ttl_ms: int) -> bool:
        """Store a new code's record for ``ttl_ms``; False when the digest exists already."""
        ...

    async def consume(self, digest: str, *, jti: str, sid: str) -> CodeResult:
        """Spend the code. The first use gets its record and notes ``jti`` and ``sid`` (the
        access token and session it is to issue), which a later use is told."""
        ...


class AdminTokenStore(Protocol):
    """The admin API's bearer tokens, by id; the store keeps only their digests."""

    async def create(self, record: AdminTokenRecord) -> bool:
        """Store a new token's record; False when the id is taken."""
        ...

    async def get(self, token_id: str) -> AdminTokenRecord | None: ...

    async def list(self) -> list[AdminTokenRecord]: ...

    async def delete(self, token_id: str) -> bool:
        """Revoke: the token stops working at once; False when there was none."""
        ...


class Health(Protocol):
    async def ping(self) -> bool:
        """True when the store answers."""
        ...


class StoreObserver(Protocol):
    """Told about each store operation (by a stable name): how long it took, or that it failed."""

    def store_latency(self, op: str, seconds: float) -> None: ...

    def store_error(self, op: str) -> None: ...


__all__ = [
    "AdminTokenStore",
    "ClientStore",
    "Health",
    "LoginCodeStore",
    "LoginThrottle",
    "OperatorSessionStore",
    "OperatorStore",
    "RevocationStore",
    "SessionStore",
    "StoreObserver",
    "UserStore",
]
