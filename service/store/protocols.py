"""The storage contract: one small Protocol per concern, all the layers above may ask of a store.

Every method may raise ``StoreUnavailable`` (the store did not answer in time, refused, or is
out of memory); nothing else of the backend crosses this line. ``service/store/redis/`` is the
one implementation; a new backend implements these Protocols and nothing more.
"""

from __future__ import annotations

from typing import Protocol

from ..idp.config import IdpConfig
from ..models import Client, Identity, User
from ..owners import Owner, SessionRef
from .loginas_protocols import LoginCodeStore, OperatorSessionStore, OperatorStore
from .records import (
    AdminTokenRecord,
    AttemptEnd,
    AttemptResult,
    Change,
    Creation,
    IdpRecord,
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
    """Marketplace users, found by id, by (case-insensitive) e-mail or by an identity-provider
    account; no two users share an e-mail or an identity."""

    async def find_id(self, email: str) -> str | None:
        """The id the e-mail's key names (the password grant checks the record it reads)."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None:
        """The user whose record holds this e-mail."""
        ...

    async def find_by_identity(self, idp_id: str, sub: str) -> User | None:
        """The user linked to this account at this identity provider."""
        ...

    async def create(self, user: User) -> Creation:
        """Store a new user with its e-mail and every identity in one step, or nothing."""
        ...

    async def set_email(self, user: User, email: str, verified: bool) -> Change:
        """Move the user (as read: ``user``) to another e-mail with its verified flag; the old
        one is freed in the same step."""
        ...

    async def set_email_verified(self, user_id: str, verified: bool) -> bool:
        """False when there is no such user."""
        ...

    async def link(self, user: User, identity: Identity) -> Change:
        """Link the user (as read) to an identity, replacing any other of that provider."""
        ...

    async def link_by_email(self, user: User, identity: Identity) -> Change:
        """Link the user (as read) to an identity of a provider they have no account at, only
        while their e-mail is still the one read and verified (social login links this way)."""
        ...

    async def unlink(self, user: User, identity: Identity) -> Change:
        """Unlink an identity the user (as read) has; its sessions stay."""
        ...

    async def unlink_all(self, idp_id: str) -> int:
        """Unlink every user's identity at this provider; how many were unlinked."""
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
        """Delete the user and end every session of theirs in one step, then free the e-mail
        and identities; how many sessions ended."""
        ...

    async def list(self) -> list[User]: ...


class IdpStore(Protocol):
    """Identity providers by id. A Facebook app secret is stored sealed under the server key;
    only ``config`` opens it."""

    async def create(self, idp: IdpConfig) -> bool:
        """Store a new provider; False when the id is taken. Raises SecretsUnavailable for a
        Facebook provider when there is no server key to seal its secret with."""
        ...

    async def get(self, idp_id: str) -> IdpRecord | None: ...

    async def list(self) -> list[IdpRecord]: ...

    async def config(self, idp_id: str) -> IdpConfig | None:
        """The provider as its tokens are verified with (the app secret opened). Raises
        SecretsUnavailable when a sealed secret cannot be opened (no or another server key)."""
        ...

    async def delete(self, idp_id: str) -> bool:
        """Remove the provider (its users' links are the caller's business); False when none."""
        ...


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

    async def begin(self, counter: LoginCounter, *, limit: int, window: int) -> AttemptResult:
        """Count one attempt and hold it in flight until ``end``; at the limit, ``InFlight``
        when attempts in flight could still free it, else ``AtLimit``."""
        ...

    async def end(self, counter: LoginCounter, outcome: AttemptEnd) -> None:
        """An attempt that ``begin`` counted is over."""
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
    "IdpStore",
    "LoginCodeStore",
    "LoginThrottle",
    "OperatorSessionStore",
    "OperatorStore",
    "RevocationStore",
    "SessionStore",
    "StoreObserver",
    "UserStore",
]
