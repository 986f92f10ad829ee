"""The authorization request: what is accepted, and which failures show a page."""

from __future__ import annotations

from urllib.parse import parse_qsl

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

from .authorize_support import APP, CHALLENGE, REDIRECT, STATE, USER_ID, query, refused


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
