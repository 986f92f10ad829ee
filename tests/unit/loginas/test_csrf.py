"""CSRF tokens: bound to the session, the form and its context; compared in constant time."""

from __future__ import annotations

import pytest

from service.loginas.csrf import CsrfTokens, Purpose

KEY = b"k" * 32
SESSION = "s" * 43


@pytest.fixture
def tokens() -> CsrfTokens:
    return CsrfTokens(KEY)


def test_issued_token_checks(tokens):
    """A token checks with the session, purpose and context it was issued for."""
    token = tokens.issue(SESSION, Purpose.CONFIRM, "client_id=a")

    assert tokens.check(token, SESSION, Purpose.CONFIRM, "client_id=a") is True


def test_token_is_43_url_safe_characters(tokens):
    """A token is 256 bits in base64url, fit for a hidden input."""
    token = tokens.issue(SESSION, Purpose.SIGN_IN)

    assert len(token) == 43 and token.replace("-", "").replace("_", "").isalnum()


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_is_refused(tokens, token):
    """A form without a token is refused."""
    assert tokens.check(token, SESSION, Purpose.SIGN_IN) is False


def test_missing_session_is_refused(tokens):
    """A token without the session cookie it was made for is refused."""
    token = tokens.issue(SESSION, Purpose.SIGN_IN)

    assert tokens.check(token, None, Purpose.SIGN_IN) is False


def test_foreign_token_is_refused(tokens):
    """A token issued to another browser session does not check with this one."""
    foreign = tokens.issue("t" * 43, Purpose.CONFIRM)

    assert tokens.check(foreign, SESSION, Purpose.CONFIRM) is False


def test_token_of_another_form_is_refused(tokens):
    """A sign-out token cannot confirm a login-as."""
    token = tokens.issue(SESSION, Purpose.SIGN_OUT)

    assert tokens.check(token, SESSION, Purpose.CONFIRM) is False


def test_token_of_another_request_is_refused(tokens):
    """A confirmation token is bound to the request the operator saw."""
    token = tokens.issue(SESSION, Purpose.CONFIRM, "user_id=a")

    assert tokens.check(token, SESSION, Purpose.CONFIRM, "user_id=b") is False


def test_token_under_another_key_is_refused(tokens):
    """Only the server's key makes valid tokens."""
    forged = CsrfTokens(b"x" * 32).issue(SESSION, Purpose.CONFIRM)

    assert tokens.check(forged, SESSION, Purpose.CONFIRM) is False


@pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: t + "A", lambda t: "é" + t[1:]])
def test_altered_token_is_refused(tokens, mangle):
    """A truncated, extended or non-ASCII token is refused without an exception."""
    token = tokens.issue(SESSION, Purpose.CONFIRM)

    assert tokens.check(mangle(token), SESSION, Purpose.CONFIRM) is False


def test_fields_cannot_be_shifted_between_each_other(tokens):
    """Session id and context are separated, so moving characters between them breaks it."""
    token = tokens.issue("ab", Purpose.CONFIRM, "c")

    assert tokens.check(token, "a", Purpose.CONFIRM, "bc") is False


def test_short_key_is_refused():
    """A server key shorter than 32 bytes is a configuration error."""
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CsrfTokens(b"short")
