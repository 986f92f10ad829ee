"""Scopes: RFC 6749 §3.3 syntax and the one scope each grant issues."""

from __future__ import annotations

import pytest

from service.errors import ErrorCode, OAuthError
from service.oauth.scopes import grant_scope, parse_scope


def test_absent_scope_parses_to_none():
    """No scope parameter is None, not an empty list."""
    assert parse_scope(None) is None


def test_scope_tokens_keep_order_and_drop_duplicates():
    """Scope tokens come back in order, each once."""
    assert parse_scope("user public-read user") == ["user", "public-read"]


def test_scope_token_may_use_the_full_rfc_charset():
    """Any %x21 / %x23-5B / %x5D-7E character is allowed in a scope token."""
    assert parse_scope("trusted:user a!#[]~") == ["trusted:user", "a!#[]~"]


@pytest.mark.parametrize(
    "raw",
    ["", " ", "user  public-read", " user", "user ", 'us"er', "us\\er", "usér", "user\n", "a\tb"],
)
def test_malformed_scope_is_invalid_scope(raw):
    """Empty tokens, quotes, backslashes, non-ASCII and whitespace other than one space are refused."""
    with pytest.raises(OAuthError) as caught:
        parse_scope(raw)

    assert caught.value.code is ErrorCode.INVALID_SCOPE
    assert caught.value.description == "The scope parameter is malformed."


@pytest.mark.parametrize("raw", [None, "user", "user user"])
def test_grant_scope_accepts_nothing_or_exactly_its_scope(raw):
    """A missing scope means the grant's default; asking for exactly that scope is fine."""
    assert grant_scope(raw, "user") == "user"


@pytest.mark.parametrize("raw", ["public-read", "user public-read", "trusted:user"])
def test_grant_scope_refuses_any_other_scope(raw):
    """A scope the grant cannot issue is invalid_scope (400)."""
    with pytest.raises(OAuthError) as caught:
        grant_scope(raw, "user")

    assert caught.value.code is ErrorCode.INVALID_SCOPE
    assert caught.value.status == 400
