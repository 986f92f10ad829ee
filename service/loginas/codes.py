"""Login-as authorization codes: 256 random bits, single use, 60 s, kept only as a digest.

Redis holds a hash under ``<p>code:<digest>`` with the fields of ``CodeRecord``; never the
code. ``store/lua/consume_login_code.lua`` hands the record out once and marks it used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

CODE_TTL = 60  # seconds ("a maximum authorization code lifetime of 10 minutes", RFC 6749 §4.1.2)
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
FIELDS = ("client_id", "redirect_uri", "user_id", "code_challenge", "operator_id")


def new_code() -> str:
    """A fresh code: 256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def is_code(text: str) -> bool:
    """Whether a string has the shape of one of our codes (checked before Redis is asked)."""
    return CODE_RE.fullmatch(text) is not None


def code_digest(code: str) -> str:
    """The code's Redis name: SHA-256, 128 bits, hex."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True)
class CodeRecord:
    """What a code is bound to (RFC 6749 §4.1.3; RFC 7636 §4.6) and who confirmed it."""

    client_id: str
    redirect_uri: str
    user_id: str
    code_challenge: str
    operator_id: str

    def fields(self) -> dict[str, str]:
        """The Redis hash fields."""
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> CodeRecord | None:
        """The record from the Redis hash; None when a field is missing."""
        values = [raw.get(name) for name in FIELDS]
        if any(not v for v in values):
            return None
        return cls(*(str(v) for v in values))


class CodeState(IntEnum):
    """What consuming a code found (the first element of the script's reply)."""

    UNKNOWN = 0  # never issued, or expired
    FRESH = 1  # first use: the record is handed out and the code is now used
    USED = 2  # used before: the reply names the access token the first use was to get


@dataclass(frozen=True)
class ConsumedCode:
    """The result of ``consume_login_code.lua``."""

    state: CodeState
    record: CodeRecord | None = None
    first_jti: str | None = None  # on reuse: the jti planned by the first redemption

    @classmethod
    def from_reply(cls, reply: list[str]) -> ConsumedCode:
        """Read the script's reply ({0} / {1, field, value, ...} / {2, jti}), decoded to str."""
        state = CodeState(int(reply[0]))
        if state is CodeState.FRESH:
            pairs = reply[1:]
            raw = dict(zip(pairs[::2], pairs[1::2], strict=True))
            record = CodeRecord.from_fields(raw)
            return cls(CodeState.FRESH, record) if record else cls(CodeState.UNKNOWN)
        if state is CodeState.USED:
            return cls(CodeState.USED, first_jti=reply[1] if len(reply) > 1 else None)
        return cls(CodeState.UNKNOWN)
