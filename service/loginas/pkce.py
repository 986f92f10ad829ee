"""Proof Key for Code Exchange: RFC 7636, with S256 as the only method."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

S256 = "S256"
# code-challenge of S256 = BASE64URL(SHA256(verifier)) without padding: 43 characters
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (§4.1)
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The S256 challenge of a verifier (RFC 7636 §4.2)."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def is_valid_challenge(challenge: str) -> bool:
    """Whether a challenge is the exact encoding of a SHA-256 digest (43 base64url characters).

    The 43rd character carries only 4 bits, so a string of the right length and alphabet can
    still be no digest's encoding: it is refused too, as it can never match a verifier.
    """
    if not CHALLENGE_RE.fullmatch(challenge):
        return False
    return _b64(base64.urlsafe_b64decode(challenge + "=")) == challenge


def is_valid_verifier(verifier: str) -> bool:
    """43 to 128 characters of the unreserved set (RFC 7636 §4.1)."""
    return VERIFIER_RE.fullmatch(verifier) is not None


def verify(verifier: str, challenge: str) -> bool:
    """Whether the verifier belongs to the challenge, compared in constant time (§4.6)."""
    if not is_valid_verifier(verifier) or not CHALLENGE_RE.fullmatch(challenge):
        return False
    return hmac.compare_digest(s256(verifier), challenge)
