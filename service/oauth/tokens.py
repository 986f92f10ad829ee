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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RefreshToken:
    owner: Owner
    sid: str
    secret: bytes

    @property
    def value(self) -> str:
        return f"{self.owner}.{self.sid}.{_b64(self.secret)}"

    @property
    def digest(self) -> bytes:
        """What Redis keeps: SHA-256 truncated to 128 bits (a preimage still costs 2^128)."""
        return hashlib.sha256(self.value.encode("ascii")).digest()[:DIGEST_BYTES]

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
        return cls(Owner(match.group(1)), match.group(2), secret)

    def wrap(self, successor: RefreshToken) -> bytes:
        """The successor's secret, readable only with this token."""
        pad = hashlib.sha256(b"tokenhouse.wrap\0" + self.value.encode("ascii")).digest()
        return bytes(a ^ b for a, b in zip(successor.secret, pad, strict=True))

    def unwrap(self, wrapped: bytes) -> RefreshToken:
        pad = hashlib.sha256(b"tokenhouse.wrap\0" + self.value.encode("ascii")).digest()
        return RefreshToken(
            self.owner, self.sid, bytes(a ^ b for a, b in zip(wrapped, pad, strict=True))
        )


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
