"""The operator's browser session: a random id in a short-lived cookie, digested at rest.

Before sign-in the cookie holds an anonymous id that only binds the sign-in form's CSRF token
(no record exists for it). Signing in replaces it with a new id (no session fixation) whose
digest keys the server-side record naming the operator.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

# A "__Host-" cookie must be Secure, Path=/ and without Domain, so no sibling host can set it
# (RFC 6265bis §4.1.3.2); over plain http the prefix is not allowed.
SECURE_NAME = "__Host-tokenhouse-operator"
PLAIN_NAME = "tokenhouse-operator"
SESSION_TTL = 900  # seconds a signed-in operator may confirm logins without signing in again
ANONYMOUS_TTL = 600  # seconds a sign-in form stays usable
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def cookie_name(*, secure: bool) -> str:
    return SECURE_NAME if secure else PLAIN_NAME


def new_session_id() -> str:
    """256 random bits, base64url."""
    return secrets.token_urlsafe(32)


def is_session_id(value: str | None) -> bool:
    """Whether a cookie value has the shape of a session id (anything else is ignored)."""
    return value is not None and SESSION_ID_RE.fullmatch(value) is not None


def session_digest(session_id: str) -> str:
    """What the server stores the session under: SHA-256, 128 bits, hex."""
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()[:32]


def cookie_attributes(*, secure: bool, max_age: int) -> dict[str, Any]:
    """Attributes for ``set_cookie``: HttpOnly, SameSite=Lax, Path=/, Secure over https.

    Lax (not Strict): the marketplace's redirect to /api/authorize-as is a cross-site
    top-level navigation, and a signed-in operator's cookie must come along with it.
    """
    attributes: dict[str, Any] = {
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
        "max_age": max_age,
    }
    if secure:
        attributes["secure"] = True
    return attributes
