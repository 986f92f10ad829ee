"""Token material: JWT access tokens (RFC 9068) and opaque refresh tokens.

A refresh token is ``<owner>.<session id>.<secret>``: it names its session (and the owner's
hash tag), and carries 256 random bits. Redis keeps only its SHA-256. On rotation the new
token's secret is stored XOR-wrapped under a hash of the token it replaces, so a caller who
presents the previous token within the grace window gets the current one back, while Redis
alone never holds a usable token.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from ..crypto.jwt import JwtCodec
from ..owners import OWNER_PATTERN, SESSION_ID_PATTERN, Owner, SessionRef

REFRESH_RE = re.compile(rf"^({OWNER_PATTERN})\.({SESSION_ID_PATTERN})\.([A-Za-z0-9_-]{{43}})$")
SECRET_BYTES = 32
DIGEST_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_session_id() -> str:
    """64 random bits: unique among one owner's sessions; the token's secret is what guards it."""
    return _b64(secrets.token_bytes(8))


def new_jti() -> str:
    return _b64(secrets.token_bytes(16))


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


class RefreshToken:
    """A refresh token: its session and its secret. Its text and digest are computed once (a
    refresh reads them several times)."""

    __slots__ = ("owner", "sid", "secret", "value", "_digest")

    def __init__(self, owner: Owner, sid: str, secret: bytes, value: str | None = None) -> None:
        self.owner = owner
        self.sid = sid
        self.secret = secret
        self.value = value or f"{owner}.{sid}.{_b64(secret)}"
        self._digest: bytes | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RefreshToken) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"RefreshToken({self.owner!r}, {self.sid!r}, <secret>)"

    @property
    def digest(self) -> bytes:
        """What Redis keeps: SHA-256 truncated to 128 bits (a preimage still costs 2^128)."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.value.encode("ascii")).digest()[:DIGEST_BYTES]
        return self._digest

    @property
    def ref(self) -> SessionRef:
        return SessionRef(self.owner, self.sid)

    @property
    def session_ref(self) -> str:
        """The session id as access tokens carry it (``sid`` claim)."""
        return f"{self.owner}.{self.sid}"

    @classmethod
    def new(cls, owner: Owner, sid: str | None = None) -> RefreshToken:
        return cls(owner, sid or new_session_id(), secrets.token_bytes(SECRET_BYTES))

    @classmethod
    def parse(cls, text: str) -> RefreshToken | None:
        match = REFRESH_RE.fullmatch(text)
        if not match:
            return None
        secret = _unb64(match.group(3))
        if len(secret) != SECRET_BYTES or _b64(secret) != match.group(3):
            return None
        return cls(Owner(match.group(1)), match.group(2), secret, text)

    def _pad(self) -> bytes:
        return hashlib.sha256(b"tokenhouse.wrap\0" + self.value.encode("ascii")).digest()

    def wrap(self, successor: RefreshToken) -> bytes:
        """The successor's secret, readable only with this token."""
        return _xor(successor.secret, self._pad())

    def unwrap(self, wrapped: bytes) -> RefreshToken:
        return RefreshToken(self.owner, self.sid, _xor(wrapped, self._pad()))


def mint_access_token(
    codec: JwtCodec,
    *,
    sub: str,
    client_id: str,
    scope: str,
    ttl: int,
    now: float,
    session_ref: str | None = None,
) -> str:
    """A signed RFC 9068 access token."""
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": codec.issuer,
        "sub": sub,
        "aud": codec.audience,
        "exp": iat + ttl,
        "iat": iat,
        "jti": new_jti(),
        "client_id": client_id,
        "scope": scope,
    }
    if session_ref is not None:
        claims["sid"] = session_ref
    return codec.sign(claims)
