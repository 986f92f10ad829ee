"""Login-as authorization codes: 256 random bits, single use, 60 s, kept only as a digest.

The store holds a code's ``CodeRecord`` (what it is bound to) under the code's digest, never
the code; ``LoginCodeStore.consume`` hands the record out once.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from ..store.records import CodeRecord

CODE_TTL = 60  # seconds ("a maximum authorization code lifetime of 10 minutes", RFC 6749 §4.1.2)
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_code() -> str:
    """A fresh code: 256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def is_code(text: str) -> bool:
    """Whether a string has the shape of one of our codes (checked before Redis is asked)."""
    return CODE_RE.fullmatch(text) is not None


def code_digest(code: str) -> str:
    """The code's Redis name: SHA-256, 128 bits, hex."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()[:32]


__all__ = ["CODE_TTL", "CodeRecord", "code_digest", "is_code", "new_code"]
