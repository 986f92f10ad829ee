"""The authorization request: failures that go back to the app as redirect_uri?error=..."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from service.loginas.audit import Outcome
from service.loginas.authorize import AuthorizeError, LoginAsApp, parse_authorize
from service.models import ClientKind

from .authorize_support import APP, CHALLENGE, REDIRECT, STATE, USER_ID, query, refused

# -- errors sent back to the app ----------------------------------------------------------


def location(error: AuthorizeError) -> str:
    assert error.redirects
    return error.location()


def back(code: str, description: str, state: str | None = STATE) -> str:
    """The redirect the app should get, spelled out."""
    desc = quote(description, safe="")
    tail = f"&state={state}" if state else ""
    return f"{REDIRECT}?error={code}&error_description={desc}{tail}"


@pytest.mark.parametrize(
    ("overrides", "outcome", "code", "description"),
    [
        (
            {"code_challenge": None},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "A PKCE code_challenge is required.",
        ),
        (
            {"code_challenge_method": None},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "code_challenge_method must be S256.",
        ),
        (
            {"code_challenge_method": "plain"},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "code_challenge_method must be S256.",
        ),
        (
            {"code_challenge_method": "s256"},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "code_challenge_method must be S256.",
        ),
        (
            {"code_challenge": CHALLENGE[:-1]},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "The code_challenge is malformed.",
        ),
        (
            {"response_type": None},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "The response_type parameter is required.",
        ),
        (
            {"response_type": "token"},
            Outcome.UNSUPPORTED_RESPONSE_TYPE,
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ),
        (
            {"user_id": None},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "The user_id parameter is required.",
        ),
        (
            {"user_id": "../../x"},
            Outcome.INVALID_REQUEST,
            "invalid_request",
            "The user_id parameter is malformed.",
        ),
        (
            {"scope": "user"},
            Outcome.INVALID_SCOPE,
            "invalid_scope",
            "Only user:limited is granted.",
        ),
    ],
    ids=[
        "missing-pkce",
        "missing-method",
        "plain-pkce",
        "lowercase-method",
        "short-challenge",
        "missing-response-type",
        "implicit",
        "missing-user",
        "malformed-user",
        "wider-scope",
    ],
)
def test_request_errors_redirect_back_with_state(overrides, outcome, code, description):
    """With a trusted redirect URI, other errors go back as error=... with the state."""
    error = refused(query(**overrides))

    assert error.outcome is outcome
    assert location(error) == back(code, description)


def test_limited_scope_may_be_asked_for():
    """scope=user:limited, the scope a login-as gets, is accepted."""
    assert parse_authorize(query(scope="user:limited"), APP).user_id == USER_ID


def test_repeated_parameter_is_invalid_request():
    """A parameter sent twice is invalid_request (RFC 6749 §3.1); the state still goes back."""
    error = refused([*query(), ("user_id", "someone-else")])

    assert location(error) == back("invalid_request", "A parameter is repeated.")


def test_repeated_state_is_not_echoed():
    """When state itself is repeated, neither value is sent back."""
    error = refused([*query(), ("state", "other")])

    assert location(error) == back("invalid_request", "A parameter is repeated.", state=None)


@pytest.mark.parametrize("state", ["a\nb", "x" * 513, "é"])
def test_malformed_state_is_refused_without_echo(state):
    """A state outside 1*VSCHAR (or too long) is invalid_request, and is not reflected."""
    error = refused(query(state=state))

    assert location(error) == back("invalid_request", "The state parameter is malformed.", None)


def test_missing_state_is_allowed():
    """state is RECOMMENDED, not required: without it the request stands, with no state."""
    req = parse_authorize(query(state=None), APP)

    assert (req.state, req.code_location("c")) == (None, f"{REDIRECT}?code=c")


def test_integration_app_is_unauthorized_client():
    """Only marketplace apps may log in as a user: an integration app gets unauthorized_client."""
    integ = LoginAsApp("cid-1", "Backoffice", ClientKind.INTEGRATION, (REDIRECT,))

    error = refused(query(), integ)

    assert location(error) == back(
        "unauthorized_client", "Only marketplace apps may log in as a user."
    )


def test_confirmed_request_redirects_with_code_and_state():
    """Confirming sends redirect_uri?code=...&state=... (RFC 6749 §4.1.2)."""
    req = parse_authorize(query(), APP)

    assert req.code_location("the-code") == f"{REDIRECT}?code=the-code&state={STATE}"


def test_cancelled_request_redirects_with_access_denied():
    """Cancelling sends redirect_uri?error=access_denied&state=..."""
    req = parse_authorize(query(), APP)

    assert req.denied_location() == f"{REDIRECT}?error=access_denied&state={STATE}"
