"""What the operator's browser is shown when a login-as step is refused: the status, the wording.

Errors that may not go back to the app (RFC 6749 §4.1.2.1) and refusals of the operator's own
forms are pages; these tables keep their statuses and texts in one place. Texts are fixed
ASCII sentences that never echo input.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import pages
from .audit import Outcome


@dataclass(frozen=True)
class Shown:
    status: int
    title: str
    message: str = ""  # empty: the refusal's own description is shown


PAGES: dict[Outcome, Shown] = {
    Outcome.INVALID_REQUEST: Shown(
        400, "This request cannot be completed", "Use the buttons of the confirmation page."
    ),
    Outcome.INVALID_CLIENT: Shown(400, "This app cannot log in as a user"),
    Outcome.INVALID_REDIRECT_URI: Shown(400, "This app cannot log in as a user"),
    Outcome.USER_UNKNOWN: Shown(404, "No such user"),
    Outcome.USER_DISABLED: Shown(403, "This user is disabled"),
    Outcome.CSRF: Shown(
        403,
        "This form has expired",
        "The form has expired or did not come from this page. Start again from the marketplace.",
    ),
    Outcome.NOT_SIGNED_IN: Shown(
        403, "Not signed in", "Your sign-in has ended. Start again from the marketplace."
    ),
    Outcome.OPERATOR_DISABLED: Shown(403, "Not signed in", "This operator account is disabled."),
}

# The sign-in form shown again, with a message, after a failed attempt.
SIGN_IN: dict[Outcome, Shown] = {
    Outcome.BAD_CREDENTIALS: Shown(401, "Operator sign-in", "Wrong e-mail or password."),
    Outcome.OPERATOR_DISABLED: Shown(403, "Operator sign-in", "This operator account is disabled."),
    Outcome.THROTTLED: Shown(
        429, "Operator sign-in", "Too many failed sign-ins. Wait a few minutes and try again."
    ),
    Outcome.CSRF: Shown(403, "Operator sign-in", "The form had expired. Sign in again."),
}


def refusal_page(outcome: Outcome, description: str = "") -> tuple[int, str]:
    """The status and HTML of the error page for a refusal shown to the browser."""
    shown = PAGES[outcome]
    return shown.status, pages.error_page(title=shown.title, message=shown.message or description)
