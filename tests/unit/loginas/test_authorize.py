"""The authorization request: which failures show a page, which go back to the app."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

import pytest

from service.loginas.audit import Outcome
from service.loginas.authorize import (
    AuthorizeError,
    AuthorizeRequest,
    LoginAsApp,
    check_user,
    parse_authorize,
    requested_client_id,
)
from service.models import ClientKind, User

REDIRECT = "https://market.example/api/login-as"
APP = LoginAsApp("cid-1", "Sauna Market", ClientKind.MARKETPLACE, (REDIRECT,))
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
STATE = "Yp0v3fXK1oXjD9Yq0hV6zj9zEwqfJj7r3p1JtX0Vq3w"
USER_ID = "5f3b0b6e-6c2a-4a4e-9a49-1d6f2a7c0002"


def query(**overrides: str | None) -> list[tuple[str, str]]:
    """The web template's request, in its order, with some parameters changed or (None) removed."""
    base = {
        "response_type": "code",
        "client_id": "cid-1",
        "redirect_uri": REDIRECT,
        "user_id": USER_ID,
        "state": STATE,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    base.update(overrides)
    return [(k, v) for k, v in base.items() if v is not None]


def refused(params: list[tuple[str, str]], app: LoginAsApp | None = APP) -> AuthorizeError:
    with pytest.raises(AuthorizeError) as caught:
        parse_authorize(params, app)
    return caught.value


def test_the_web_templates_request_is_accepted():
    """The exact request the web template sends parses into a typed value."""
    req = parse_authorize(query(), APP)

    assert req == AuthorizeRequest("cid-1", REDIRECT, USER_ID, STATE, CHALLENGE)


def test_query_round_trips():
    """A request's query string parses back into the same request."""
    req = parse_authorize(query(state="a b&c=d"), APP)

    assert parse_authorize(parse_qsl(req.query()), APP) == req


def test_unknown_parameters_are_ignored():
    """Parameters the endpoint does not know are ignored (RFC 6749 §3.1)."""
    params = [*query(), ("target_path", "/x"), ("nonce", "n")]

    assert parse_authorize(params, APP).user_id == USER_ID


def test_requested_client_id_is_read_first():
    """The client id to look up comes out of the query before the app is known."""
    assert requested_client_id(query()) == "cid-1"


# -- errors shown as a page: the browser is never redirected ----------------------------


@pytest.mark.parametrize(
    ("params", "app", "outcome", "description"),
    [
        (query(client_id=None), APP, Outcome.INVALID_CLIENT, "The request does not name one app."),
        (query(client_id=""), APP, Outcome.INVALID_CLIENT, "The request does not name one app."),
        (
            [*query(), ("client_id", "cid-1")],
            APP,
            Outcome.INVALID_CLIENT,
            "The request does not name one app.",
        ),
        (query(client_id="cid-2"), None, Outcome.INVALID_CLIENT, "The app is unknown."),
        (query(client_id="cid-2"), APP, Outcome.INVALID_CLIENT, "The app is unknown."),
        (
            query(redirect_uri=None),
            APP,
            Outcome.INVALID_REDIRECT_URI,
            "The request has no redirect URI.",
        ),
        (
            [*query(), ("redirect_uri", REDIRECT)],
            APP,
            Outcome.INVALID_REDIRECT_URI,
            "The request has no redirect URI.",
        ),
        (
            query(redirect_uri="https://evil.example/api/login-as"),
            APP,
            Outcome.INVALID_REDIRECT_URI,
            "The redirect URI is not registered for this app.",
        ),
        (
            query(redirect_uri=REDIRECT + "/"),
            APP,
            Outcome.INVALID_REDIRECT_URI,
            "The redirect URI is not registered for this app.",
        ),
        (
            query(redirect_uri=REDIRECT + "?next=https://evil.example"),
            APP,
            Outcome.INVALID_REDIRECT_URI,
            "The redirect URI is not registered for this app.",
        ),
    ],
    ids=[
        "missing-client",
        "empty-client",
        "repeated-client",
        "unknown-client",
        "client-mismatch",
        "missing-redirect",
        "repeated-redirect",
        "foreign-redirect",
        "trailing-slash",
        "extra-query",
    ],
)
def test_client_and_redirect_uri_errors_show_a_page(params, app, outcome, description):
    """A bad client or an unregistered redirect URI is shown, never redirected (§4.1.2.1)."""
    error = refused(params, app)

    assert (error.outcome, error.description, error.redirects) == (outcome, description, False)
    with pytest.raises(ValueError):
        error.location()


def test_app_without_redirect_uris_shows_a_page():
    """An app that registered no redirect URI cannot start a login-as at all."""
    bare = LoginAsApp("cid-1", "Sauna Market", ClientKind.MARKETPLACE, ())

    assert refused(query(), bare).redirects is False


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


# -- the user, once an operator is signed in --------------------------------------------


def test_active_user_passes():
    """An existing, enabled user may be logged in as."""
    user = User(USER_ID, "u@example.com", "hash")

    assert check_user(user) is user


@pytest.mark.parametrize(
    ("user", "outcome", "description"),
    [
        (None, Outcome.USER_UNKNOWN, "There is no such user."),
        (
            User(USER_ID, "u@example.com", "h", disabled=True),
            Outcome.USER_DISABLED,
            "This user is disabled.",
        ),
    ],
    ids=["unknown", "disabled"],
)
def test_unknown_or_disabled_user_shows_a_page(user, outcome, description):
    """An unknown or disabled user is told to the signed-in operator on a page, not redirected."""
    with pytest.raises(AuthorizeError) as caught:
        check_user(user)

    assert (caught.value.outcome, caught.value.description, caught.value.redirects) == (
        outcome,
        description,
        False,
    )
