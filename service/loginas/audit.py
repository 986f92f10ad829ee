"""The audit trail of login-as: one log event per attempt, with its operator, user, app, outcome.

Values are ids (operator id, user id, client id), never e-mail addresses, passwords, codes or
tokens. An outcome is one word from ``Outcome``; a refusal's event is logged at warning level.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol


class Event(StrEnum):
    """Stable event names."""

    AUTHORIZE = "login_as.authorize"  # the authorization request at /api/authorize-as
    TOKEN = "login_as.token"  # the authorization_code grant at /v1/auth/token
    SIGN_IN = "operator.sign_in"
    SIGN_OUT = "operator.sign_out"


class Outcome(StrEnum):
    """What became of an attempt: a success, or why it was refused."""

    # successes
    CONFIRMED = "confirmed"  # the operator confirmed; a code went to the app
    CANCELLED = "cancelled"  # the operator cancelled; access_denied went to the app
    ISSUED = "issued"  # the code was redeemed for an access token
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"
    # refusals of the authorization request
    INVALID_CLIENT = "invalid_client"  # missing or unknown client_id: error page
    INVALID_REDIRECT_URI = "invalid_redirect_uri"  # missing or unregistered: error page
    INVALID_REQUEST = "invalid_request"
    UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    INVALID_SCOPE = "invalid_scope"
    USER_UNKNOWN = "user_unknown"
    USER_DISABLED = "user_disabled"
    # refusals of an operator's form
    CSRF = "csrf"  # the form's CSRF token was missing or not this session's
    NOT_SIGNED_IN = "not_signed_in"  # a confirmation without a live operator session
    BAD_CREDENTIALS = "bad_credentials"
    OPERATOR_DISABLED = "operator_disabled"
    THROTTLED = "throttled"
    # refusals of the token request (all answered 401 invalid_grant)
    UNKNOWN_CODE = "unknown_code"  # never issued, or expired
    REUSED_CODE = "reused_code"
    WRONG_CLIENT = "wrong_client"
    WRONG_REDIRECT_URI = "wrong_redirect_uri"
    WRONG_VERIFIER = "wrong_verifier"


SUCCESSES = frozenset(
    {Outcome.CONFIRMED, Outcome.CANCELLED, Outcome.ISSUED, Outcome.SIGNED_IN, Outcome.SIGNED_OUT}
)


class Logger(Protocol):
    def info(self, event: str, **kw: Any) -> Any: ...

    def warning(self, event: str, **kw: Any) -> Any: ...


def fields(
    *, operator: str | None, user: str | None, app: str | None, outcome: Outcome
) -> dict[str, str | None]:
    """The fields every audit event carries; None where the attempt did not get that far."""
    return {"operator": operator, "user": user, "app": app, "outcome": outcome.value}


def record(
    log: Logger,
    event: Event,
    *,
    operator: str | None,
    user: str | None,
    app: str | None,
    outcome: Outcome,
) -> None:
    """Log one audit event: info for a success, warning for a refusal."""
    emit = log.info if outcome in SUCCESSES else log.warning
    emit(event.value, **fields(operator=operator, user=user, app=app, outcome=outcome))
