"""The typed values the store Protocols exchange with their callers (no Redis here).

A refresh attempt ends in exactly one ``RefreshResult``; the OAuth layer matches on it
instead of decoding a script's reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from ..owners import SessionRef


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long sessions live and how many an owner may hold, in the store's units."""

    idle_ms: int  # a session unused this long ends
    max_ms: int  # absolute lifetime; rotation never extends it
    grace_ms: int  # the previous refresh token keeps working this long (0: strict)
    cap: int  # live sessions per owner; the oldest end first


# refresh outcomes --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rotated:
    """The current token was presented: the successor is now current."""

    scope: str  # the session's
    ttl_ms: int


@dataclass(frozen=True, slots=True)
class GraceReplay:
    """The previous token within the grace window: the current one, still wrapped."""

    scope: str
    ttl_ms: int
    wrapped: bytes  # the current token's secret, wrapped under the presented token


@dataclass(frozen=True, slots=True)
class Reused:
    """The previous token after the grace window: treated as stolen, the session is gone."""


@dataclass(frozen=True, slots=True)
class WiderScope:
    """The requested scope exceeds the session's; nothing changed."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """Unknown, expired or foreign token, or no such session; nothing changed."""


RefreshResult = Rotated | GraceReplay | Reused | WiderScope | Rejected

REUSED = Reused()
WIDER_SCOPE = WiderScope()
REJECTED = Rejected()


# session views -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session that is alive, as token exchange and introspection see it."""

    client_id: str
    scope: str
    ttl_ms: int


@dataclass(frozen=True, slots=True)
class InspectedRefresh:
    """A live refresh token, looked at without using it (RFC 7662)."""

    client_id: str
    scope: str
    ttl_ms: int
    expiry_ms: int  # the session's absolute expiry, ms since the epoch


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One live session of an owner, as operators list them."""

    ref: SessionRef
    client_id: str
    scope: str
    absolute_expiry_ms: int
    idle_ttl_ms: int
    created: int = 0  # seconds since the epoch; 0 for a session made before it was recorded


@dataclass(frozen=True, slots=True)
class UserChange:
    """Fields of a user record set in the same step that ends every session of the user."""

    password_hash: str | None = None
    disabled: bool | None = None


# users and their identities ------------------------------------------------------------------
class Creation(Enum):
    """How creating a user ended (nothing is stored unless CREATED); truthy only when created."""

    CREATED = "created"
    EMAIL_TAKEN = "email_taken"  # another user has the e-mail
    IDENTITY_TAKEN = "identity_taken"  # one of the identities is linked to another user
    ID_TAKEN = "id_taken"  # a user with this id exists

    def __bool__(self) -> bool:
        return self is Creation.CREATED


class Change(Enum):
    """How a change of a user's e-mail or identity link ended (nothing changed unless DONE)."""

    DONE = "done"
    TAKEN = "taken"  # the e-mail or identity belongs to another user
    NO_USER = "no_user"  # the user is gone
    CHANGED_MEANWHILE = "changed_meanwhile"  # another change came first: read again, retry


# identity providers --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class IdpRecord:
    """An identity provider as listed: everything but a Facebook app secret, which stays sealed."""

    id: str
    kind: str  # "oidc" or "facebook"
    created: int  # seconds since the epoch
    issuer: str = ""  # oidc
    client_ids: tuple[str, ...] = ()  # oidc
    client_id: str = ""  # facebook: the app id
    graph_url: str = ""  # facebook


# admin tokens ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AdminTokenRecord:
    """An admin token as stored: never the token, only its SHA-256."""

    token_id: str
    name: str
    digest: str  # SHA-256 of the whole token, hex
    created: int  # seconds since the epoch


# throttle ----------------------------------------------------------------------------------
class CounterKind(StrEnum):
    ACCOUNT = "account"
    SOURCE = "source"


@dataclass(frozen=True, slots=True)
class LoginCounter:
    """One login-attempt counter: an account's (by username) or a source's (an IPv4 address or
    an IPv6 /64)."""

    kind: CounterKind
    name: str

    @classmethod
    def account(cls, username: str) -> LoginCounter:
        return cls(CounterKind.ACCOUNT, username)

    @classmethod
    def source(cls, bucket: str) -> LoginCounter:
        return cls(CounterKind.SOURCE, bucket)


@dataclass(frozen=True, slots=True)
class Counted:
    """The attempt was counted; ``count`` attempts in the window so far."""

    count: int


@dataclass(frozen=True, slots=True)
class AtLimit:
    """The counter is at its limit: nothing counted, the window ends in ``retry_after`` s."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class InFlight:
    """The counter is at its limit only because ``count`` attempts are still in flight (their
    outcome decides): nothing counted; the attempt may ask again when one of them ends."""

    count: int


AttemptResult = Counted | AtLimit | InFlight


class AttemptEnd(StrEnum):
    """How a counted attempt ends."""

    SUCCEEDED = "succeeded"  # the counter is cleared (attempts still in flight stay counted)
    GIVEN_BACK = "given_back"  # the attempt is uncounted (the other counter refused it)
    FAILED = "failed"  # it stays counted for the window


# login-as codes ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CodeRecord:
    """What a login-as code is bound to (RFC 6749 §4.1.3; RFC 7636 §4.6), and who confirmed it."""

    client_id: str
    redirect_uri: str
    user_id: str
    code_challenge: str
    operator_id: str


@dataclass(frozen=True, slots=True)
class FreshCode:
    """The code's first use: its record is handed out, and the code is spent."""

    record: CodeRecord


@dataclass(frozen=True, slots=True)
class UsedCode:
    """The code was used before: what its first use was to issue (RFC 6749 §4.1.2 revokes it)."""

    first_jti: str
    first_session: SessionRef | None


@dataclass(frozen=True, slots=True)
class UnknownCode:
    """Never issued, or expired."""


CodeResult = FreshCode | UsedCode | UnknownCode

UNKNOWN_CODE = UnknownCode()


__all__ = [
    "REJECTED",
    "AdminTokenRecord",
    "REUSED",
    "UNKNOWN_CODE",
    "WIDER_SCOPE",
    "AtLimit",
    "AttemptEnd",
    "AttemptResult",
    "Change",
    "Creation",
    "CodeRecord",
    "CodeResult",
    "Counted",
    "CounterKind",
    "FreshCode",
    "GraceReplay",
    "IdpRecord",
    "InFlight",
    "InspectedRefresh",
    "LiveSession",
    "LoginCounter",
    "RefreshResult",
    "Rejected",
    "Reused",
    "Rotated",
    "SessionInfo",
    "SessionLimits",
    "UnknownCode",
    "UsedCode",
    "UserChange",
    "WiderScope",
]
