"""The storage contract: one small Protocol per concern, all the layers above may ask of a store.

Every method may raise ``StoreUnavailable`` (the store did not answer in time, refused, or is
out of memory); nothing else of the backend crosses this line. ``service/store/redis/`` is the
one implementation; a new backend implements these Protocols and nothing more.
"""

from __future__ import annotations

from typing import Protocol

from ..models import Client, User
from ..owners import Owner, SessionRef
from .records import (
    FailureCount,
    InspectedRefresh,
    LiveSession,
    RefreshResult,
    SessionInfo,
    SessionLimits,
)


class ClientStore(Protocol):
    """Applications (OAuth clients)."""

    async def get(self, client_id: str) -> Client | None: ...

    async def create(self, client: Client) -> bool:
        """Store a new client; False when the id is taken."""
        ...

    async def save(self, client: Client) -> None:
        """Store a client, replacing any with its id."""
        ...

    async def set_secret(self, client_id: str, secret_hash: str) -> bool:
        """Replace the client's secret hash; False when there is no such client."""
        ...

    async def delete(self, client_id: str) -> bool:
        """Delete the client's record (its sessions are the caller's business)."""
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
        """False when there is no such user."""
        ...

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """False when there is no such user."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """Replace the hash only if it is still ``old_hash`` (rehash on login)."""
        ...

    async def delete(self, user: User) -> None:
        """Delete the user and its email entry (its sessions are the caller's business)."""
        ...

    async def list(self) -> list[User]: ...


class SessionStore(Protocol):
    """Refresh-token sessions; each method is one atomic step."""

    async def create(
        self, ref: SessionRef, *, client_id: str, scope: str, digest: bytes, limits: SessionLimits
    ) -> int:
        """Store a new session holding ``digest``; its absolute expiry (ms since the epoch)."""
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
        the requested scope ('' for the session's)."""
        ...

    async def revoke(self, ref: SessionRef, *, digest: bytes, client_id: str) -> bool:
        """End the session if ``digest`` is one of its live tokens and ``client_id`` its
        client (RFC 7009 §2.1); True when it ended."""
        ...

    async def check(self, ref: SessionRef, jti: str) -> LiveSession | None:
        """The session, if alive and its access token ``jti`` is not revoked."""
        ...

    async def inspect(self, ref: SessionRef, digest: bytes) -> InspectedRefresh | None:
        """The session, if ``digest`` is one of its live refresh tokens; nothing changes."""
        ...

    async def list(self, owner: Owner) -> list[SessionInfo]: ...

    async def end(self, ref: SessionRef) -> bool:
        """End one session whatever its tokens; True when there was one."""
        ...

    async def end_all(self, owner: Owner) -> int:
        """End every session of the owner; how many there were."""
        ...


class RevocationStore(Protocol):
    """Access tokens revoked before they expire, by ``jti`` (owner None: anonymous tokens)."""

    async def is_revoked(self, owner: Owner | None, jti: str) -> bool: ...

    async def revoke(self, owner: Owner | None, jti: str, ttl_ms: int) -> None: ...


class LoginThrottle(Protocol):
    """Failed-login counters per account (a username) and per source address."""

    async def failures(self, username: str, source: str) -> list[FailureCount]:
        """The account's count, then the source's (when a source is given)."""
        ...

    async def record_failure(self, username: str, source: str, window: int) -> None:
        """Count one failure for both; a new count lives ``window`` seconds."""
        ...

    async def clear_account(self, username: str) -> None: ...


class Health(Protocol):
    async def ping(self) -> bool:
        """True when the store answers."""
        ...


class StoreObserver(Protocol):
    """Told about each store operation (by a stable name): how long it took, or that it failed."""

    def store_latency(self, op: str, seconds: float) -> None: ...

    def store_error(self, op: str) -> None: ...


__all__ = [
    "ClientStore",
    "Health",
    "LoginThrottle",
    "RevocationStore",
    "SessionStore",
    "StoreObserver",
    "UserStore",
]
