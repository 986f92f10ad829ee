"""CSRF tokens for the operator's forms: an HMAC bound to the session, the form, the request.

A token is ``BASE64URL(HMAC-SHA256(server key, purpose, session id, context))``. Only the
server can make one, it is valid only with the session cookie it was made for (a token from
another browser is refused), and only for the form it was rendered into: ``context`` binds a
confirmation to the exact request the operator saw. Tokens are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import StrEnum

MIN_KEY_BYTES = 32
TOKEN_LENGTH = 43  # 32 bytes, base64url without padding


class Purpose(StrEnum):
    """Which form a token was rendered into."""

    SIGN_IN = "sign-in"
    CONFIRM = "confirm"
    SIGN_OUT = "sign-out"


class CsrfTokens:
    """Issues and checks the tokens under one server key (shared by every process)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a CSRF key has at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def issue(self, session_id: str, purpose: Purpose, context: str = "") -> str:
        """The token for a form of this purpose rendered for this session."""
        message = b"\0".join(
            (b"tokenhouse.csrf", purpose.value.encode(), session_id.encode(), context.encode())
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def check(
        self, token: str | None, session_id: str | None, purpose: Purpose, context: str = ""
    ) -> bool:
        """Whether a submitted token was issued for this session, form and context."""
        if not token or not session_id or len(token) != TOKEN_LENGTH:
            return False
        expected = self.issue(session_id, purpose, context)
        return hmac.compare_digest(expected.encode("ascii"), token.encode("ascii", "replace"))
