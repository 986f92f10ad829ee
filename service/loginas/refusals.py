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


# Failures that are nobody's refusal (a malformed form, an outage), by HTTP status.
FAILURES: dict[int, Shown] = {
    400: Shown(400, "This request cannot be completed", "The form was malformed. Start again."),
    404: Shown(404, "Not found", "There is no such page."),
    405: Shown(405, "Not allowed", "This page does not take that kind of request."),
    413: Shown(413, "This request is too large", "The form was too large. Start again."),
    429: Shown(429, "Too many attempts", "Wait a few minutes and try again."),
    503: Shown(
        503, "Try again in a moment", "The service is busy or cannot reach its store right now."
    ),
}
UNEXPECTED = Shown(500, "Something went wrong", "The request failed. Start again in a moment.")


def failure_page(status: int) -> tuple[int, str]:
    """The status and HTML of the page for a failure that is no refusal (``FAILURES``)."""
    shown = FAILURES.get(status, UNEXPECTED)
    return shown.status, pages.error_page(title=shown.title, message=shown.message)
