"""What the browser is shown for each refusal: one table of statuses and fixed texts."""

from __future__ import annotations

import pytest

from service.loginas.audit import Outcome
from service.loginas.refusals import PAGES, SIGN_IN, refusal_page


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.INVALID_CLIENT, 400),
        (Outcome.INVALID_REDIRECT_URI, 400),
        (Outcome.INVALID_REQUEST, 400),
        (Outcome.USER_UNKNOWN, 404),
        (Outcome.USER_DISABLED, 403),
        (Outcome.CSRF, 403),
        (Outcome.NOT_SIGNED_IN, 403),
        (Outcome.OPERATOR_DISABLED, 403),
    ],
)
def test_page_statuses(outcome, status):
    """Each refusal shown as a page has its status."""
    assert refusal_page(outcome, "Why.")[0] == status


def test_page_shows_the_refusals_description():
    """Without a fixed message of its own, the page shows the refusal's description."""
    _, html = refusal_page(Outcome.INVALID_REDIRECT_URI, "The redirect URI is not registered.")

    assert "This app cannot log in as a user" in html
    assert "The redirect URI is not registered." in html


def test_fixed_message_wins_over_the_description():
    """A CSRF refusal always says the same thing."""
    _, html = refusal_page(Outcome.CSRF, "anything")

    assert "anything" not in html and "The form has expired" in html


def test_description_is_escaped():
    """Even a description goes through the page's escaping."""
    _, html = refusal_page(Outcome.USER_UNKNOWN, "<b>x</b>")

    assert "<b>" not in html


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        (Outcome.BAD_CREDENTIALS, 401, "Wrong e-mail or password."),
        (Outcome.OPERATOR_DISABLED, 403, "This operator account is disabled."),
        (Outcome.THROTTLED, 429, "Too many failed sign-ins. Wait a few minutes and try again."),
        (Outcome.CSRF, 403, "The form had expired. Sign in again."),
    ],
)
def test_sign_in_messages(outcome, status, message):
    """A failed sign-in shows the form again with its status and message."""
    assert (SIGN_IN[outcome].status, SIGN_IN[outcome].message) == (status, message)


def test_texts_are_ascii():
    """Titles and messages are plain ASCII sentences."""
    texts = [t for s in [*PAGES.values(), *SIGN_IN.values()] for t in (s.title, s.message)]

    assert all(t.isascii() for t in texts)
