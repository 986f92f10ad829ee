"""Operator accounts: e-mail and password rules, sign-in outcomes, separate throttle counters."""

from __future__ import annotations

import pytest

from service.loginas.audit import Outcome
from service.loginas.operators import (
    Operator,
    check_new_password,
    normalize_email,
    sign_in_outcome,
    throttle_name,
)

OPERATOR = Operator("op-1", "ops@example.com", "hash")


def test_email_is_trimmed_and_lower_cased():
    """An operator's e-mail is stored and looked up trimmed and in lower case."""
    assert normalize_email("  Ops@Example.COM ") == "ops@example.com"


@pytest.mark.parametrize("email", ["", "ops", "ops@", "@example.com", "a@b@c", "o ps@example.com"])
def test_malformed_email_is_refused(email):
    """Something that is not name@domain is refused."""
    with pytest.raises(ValueError, match="name@domain"):
        normalize_email(email)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 1025])
def test_short_or_huge_password_is_refused(password):
    """A new password has 8 to 1024 characters."""
    with pytest.raises(ValueError, match="8 to 1024"):
        check_new_password(password)


def test_eight_character_password_is_accepted():
    """Eight characters is enough."""
    check_new_password("12345678")


def test_throttle_name_differs_from_a_users():
    """An operator's failures are counted apart from a marketplace user with the same e-mail."""
    assert throttle_name("Ops@Example.com ") == "operator\0ops@example.com"
    assert throttle_name("ops@example.com") != "ops@example.com"


@pytest.mark.parametrize(
    ("operator", "password_ok", "outcome"),
    [
        (OPERATOR, True, Outcome.SIGNED_IN),
        (OPERATOR, False, Outcome.BAD_CREDENTIALS),
        (None, False, Outcome.BAD_CREDENTIALS),
        (None, True, Outcome.BAD_CREDENTIALS),
        (Operator("op-2", "x@example.com", "h", disabled=True), True, Outcome.OPERATOR_DISABLED),
        (Operator("op-2", "x@example.com", "h", disabled=True), False, Outcome.BAD_CREDENTIALS),
    ],
    ids=["ok", "wrong-password", "unknown", "unknown-dummy-match", "disabled", "disabled-wrong"],
)
def test_sign_in_outcome(operator, password_ok, outcome):
    """Unknown and wrong password answer alike; disabled is told only after the right password."""
    assert sign_in_outcome(operator, password_ok) is outcome
