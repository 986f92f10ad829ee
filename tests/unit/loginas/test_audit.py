"""Audit events: one per attempt, with operator, user, app and outcome."""

from __future__ import annotations

import structlog
from structlog.testing import capture_logs

from service.loginas import audit
from service.loginas.audit import Event, Outcome


def test_success_is_logged_at_info():
    """A confirmed login-as is one info event naming all four."""
    with capture_logs() as logs:
        audit.record(
            structlog.get_logger("t"),
            Event.AUTHORIZE,
            operator="op-1",
            user="user-1",
            app="cid-1",
            outcome=Outcome.CONFIRMED,
        )

    assert logs == [
        {
            "event": "login_as.authorize",
            "log_level": "info",
            "operator": "op-1",
            "user": "user-1",
            "app": "cid-1",
            "outcome": "confirmed",
        }
    ]


def test_refusal_is_logged_at_warning():
    """A refused attempt is a warning with what was known at that point."""
    with capture_logs() as logs:
        audit.record(
            structlog.get_logger("t"),
            Event.TOKEN,
            operator=None,
            user=None,
            app="cid-1",
            outcome=Outcome.REUSED_CODE,
        )

    assert logs == [
        {
            "event": "login_as.token",
            "log_level": "warning",
            "operator": None,
            "user": None,
            "app": "cid-1",
            "outcome": "reused_code",
        }
    ]


def test_event_names_are_stable():
    """The event names operators alert on do not change."""
    assert [e.value for e in Event] == [
        "login_as.authorize",
        "login_as.token",
        "operator.sign_in",
        "operator.sign_out",
    ]


def test_fields_are_the_four_names():
    """fields() gives exactly operator, user, app and outcome."""
    assert audit.fields(operator="o", user="u", app="a", outcome=Outcome.ISSUED) == {
        "operator": "o",
        "user": "u",
        "app": "a",
        "outcome": "issued",
    }


def test_outcomes_are_single_lowercase_words():
    """Outcomes are snake_case words, fit for a metric label or a log query."""
    assert all(o.value.replace("_", "").isalpha() and o.value.islower() for o in Outcome)
