"""Scopes: RFC 6749 §3.3 syntax, and which scopes each kind of token may carry."""

from __future__ import annotations

import re

from ..errors import ErrorCode, OAuthError

# scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3)
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")

PUBLIC_READ = "public-read"
USER = "user"
TRUSTED_USER = "trusted:user"
INTEG = "integ"


def parse_scope(raw: str | None) -> list[str] | None:
    """The scope tokens in order without duplicates; None when absent."""
    if raw is None:
        return None
    tokens = raw.split(" ")
    if any(not SCOPE_TOKEN.fullmatch(t) for t in tokens):
        raise OAuthError(ErrorCode.INVALID_SCOPE, "The scope parameter is malformed.")
    return list(dict.fromkeys(tokens))


def grant_scope(raw: str | None, allowed: str) -> str:
    """The scope a grant issues: its only scope, when the request asks for that or nothing."""
    if raw is None or raw == allowed:  # what clients send: nothing to parse
        return allowed
    tokens = parse_scope(raw)
    if tokens is not None and tokens != [allowed]:
        raise OAuthError(ErrorCode.INVALID_SCOPE)
    return allowed
