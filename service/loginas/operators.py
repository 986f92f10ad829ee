"""Operators: the people who may log in as a user, with accounts of their own (argon2id passwords).

Operators are not marketplace users: a marketplace user with the same e-mail is a different
account, and the failed sign-in counters are kept apart from the password grant's.
"""

from __future__ import annotations

import re

from ..models import Operator
from .audit import Outcome

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a bound keeps a form post from costing much
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


def normalize_email(email: str) -> str:
    """The e-mail as stored and looked up (trimmed, lower case); ValueError when malformed."""
    normalized = email.strip().lower()
    if len(normalized) > 254 or not EMAIL_RE.fullmatch(normalized):
        raise ValueError("an operator's e-mail looks like name@domain")
    return normalized


def check_new_password(password: str) -> None:
    """ValueError unless a new password has 8 to 1024 characters (the admin API's rule)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def throttle_name(email: str) -> str:
    """The name an operator's failed sign-ins are counted under, apart from any user's."""
    return f"operator\0{email.strip().lower()}"


def sign_in_outcome(operator: Operator | None, password_ok: bool) -> Outcome:
    """``SIGNED_IN``, ``BAD_CREDENTIALS`` (unknown e-mail or wrong password: one answer), or
    ``OPERATOR_DISABLED``, which is told only to someone who knew the password.

    The caller verifies against a dummy hash when the operator is unknown, so the answer
    takes the same time either way.
    """
    if operator is None or not password_ok:
        return Outcome.BAD_CREDENTIALS
    if operator.disabled:
        return Outcome.OPERATOR_DISABLED
    return Outcome.SIGNED_IN


__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "Operator",
    "check_new_password",
    "normalize_email",
    "sign_in_outcome",
    "throttle_name",
]
