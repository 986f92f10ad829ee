"""The login-as authorization request: RFC 6749 §4.1.1 with PKCE (RFC 7636 §4.3), validated.

``GET /api/authorize-as?response_type=code&client_id&redirect_uri&user_id&state&code_challenge
&code_challenge_method=S256``. A missing or unknown client, or a redirect URI that is not one
of the app's registered URIs, shows an error page and never redirects (RFC 6749 §4.1.2.1);
every other problem is sent back to the app as ``redirect_uri?error=...&state=...``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlencode

from ..models import ClientKind, User
from ..owners import Owner
from . import pkce
from .audit import Outcome
from .redirect_uris import is_registered, with_params

LIMITED_SCOPE = "user:limited"
PARAMETERS = frozenset(
    {
        "response_type",
        "client_id",
        "redirect_uri",
        "user_id",
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
    }
)
# state = 1*VSCHAR (RFC 6749 Appendix A.5); bounded so the redirect stays a sane length
STATE_RE = re.compile(r"^[\x20-\x7e]{1,512}$")


class AuthorizeErrorCode(StrEnum):
    """RFC 6749 §4.1.2.1 error codes."""

    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    ACCESS_DENIED = "access_denied"
    UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
    INVALID_SCOPE = "invalid_scope"
    SERVER_ERROR = "server_error"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"


@dataclass(frozen=True)
class LoginAsApp:
    """What the authorization request needs to know of an app."""

    client_id: str
    name: str
    kind: ClientKind
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizeRequest:
    """A valid request: the app may log in as ``user_id`` once an operator confirms."""

    client_id: str
    redirect_uri: str
    user_id: str
    state: str | None
    code_challenge: str  # S256, checked to be a digest's encoding

    def query(self) -> str:
        """The request as a query string, so a page's form can post it back unchanged."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "user_id": self.user_id,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": pkce.S256,
        }
        return urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)

    def code_location(self, code: str) -> str:
        """Where a confirmed request sends the browser (RFC 6749 §4.1.2)."""
        return with_params(self.redirect_uri, {"code": code, "state": self.state})

    def denied_location(self) -> str:
        """Where a cancelled request sends the browser: ``error=access_denied``."""
        return with_params(
            self.redirect_uri,
            {"error": AuthorizeErrorCode.ACCESS_DENIED.value, "state": self.state},
        )


class AuthorizeError(Exception):
    """A refused request. With ``redirect_uri`` None the browser gets the error page.

    ``description`` is plain ASCII and never echoes input; ``outcome`` is for the audit log.
    """

    def __init__(
        self,
        outcome: Outcome,
        description: str,
        *,
        code: AuthorizeErrorCode | None = None,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(description)
        self.outcome = outcome
        self.description = description
        self.code = code
        self.redirect_uri = redirect_uri
        self.state = state

    @property
    def redirects(self) -> bool:
        return self.redirect_uri is not None

    def location(self) -> str:
        """``redirect_uri?error=...&error_description=...&state=...`` (RFC 6749 §4.1.2.1)."""
        if self.redirect_uri is None or self.code is None:
            raise ValueError("this error is shown as a page, not redirected")
        return with_params(
            self.redirect_uri,
            {"error": self.code.value, "error_description": self.description, "state": self.state},
        )


def _single(params: Sequence[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """Known parameters with empty values dropped, and the names that came more than once."""
    seen: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in params:
        if name not in PARAMETERS or value == "":
            continue
        if name in seen:
            repeated.add(name)
        seen[name] = value
    return seen, repeated


def requested_client_id(params: Sequence[tuple[str, str]]) -> str:
    """The ``client_id`` to look up; an error page when it is missing or repeated."""
    seen, repeated = _single(params)
    client_id = seen.get("client_id")
    if client_id is None or "client_id" in repeated:
        raise AuthorizeError(Outcome.INVALID_CLIENT, "The request does not name one app.")
    return client_id


def parse_authorize(params: Sequence[tuple[str, str]], app: LoginAsApp | None) -> AuthorizeRequest:
    """Validate the query (as name/value pairs, in order) against the app it names.

    ``app`` is the app found for ``requested_client_id(params)``, or None when there is none.
    "Request and response parameters MUST NOT be included more than once" (RFC 6749 §3.1).
    """
    seen, repeated = _single(params)
    client_id = requested_client_id(params)
    if app is None or app.client_id != client_id:
        raise AuthorizeError(Outcome.INVALID_CLIENT, "The app is unknown.")
    redirect_uri = seen.get("redirect_uri")
    if redirect_uri is None or "redirect_uri" in repeated:
        raise AuthorizeError(Outcome.INVALID_REDIRECT_URI, "The request has no redirect URI.")
    if not is_registered(redirect_uri, app.redirect_uris):
        raise AuthorizeError(
            Outcome.INVALID_REDIRECT_URI, "The redirect URI is not registered for this app."
        )

    # From here the redirect URI is trusted: errors go back to the app.
    raw_state = seen.get("state")
    state = raw_state if raw_state is not None and STATE_RE.fullmatch(raw_state) else None
    if "state" in repeated:
        state = None  # which one would the app expect back?

    def refuse(outcome: Outcome, code: AuthorizeErrorCode, description: str) -> AuthorizeError:
        return AuthorizeError(
            outcome, description, code=code, redirect_uri=redirect_uri, state=state
        )

    invalid = AuthorizeErrorCode.INVALID_REQUEST
    if repeated:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "A parameter is repeated.")
    if raw_state is not None and state is None:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "The state parameter is malformed.")
    response_type = seen.get("response_type")
    if response_type is None:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "The response_type parameter is required.")
    if response_type != "code":
        raise refuse(
            Outcome.UNSUPPORTED_RESPONSE_TYPE,
            AuthorizeErrorCode.UNSUPPORTED_RESPONSE_TYPE,
            "Only response_type=code is supported.",
        )
    if app.kind is not ClientKind.MARKETPLACE:
        raise refuse(
            Outcome.UNAUTHORIZED_CLIENT,
            AuthorizeErrorCode.UNAUTHORIZED_CLIENT,
            "Only marketplace apps may log in as a user.",
        )
    # "If the server supporting PKCE does not support the requested transformation, the
    # authorization endpoint MUST return ... invalid_request" (RFC 7636 §4.4.1); an absent
    # method means plain (§4.3), which is refused as well.
    challenge = seen.get("code_challenge")
    if challenge is None:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "A PKCE code_challenge is required.")
    if seen.get("code_challenge_method") != pkce.S256:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "code_challenge_method must be S256.")
    if not pkce.is_valid_challenge(challenge):
        raise refuse(Outcome.INVALID_REQUEST, invalid, "The code_challenge is malformed.")
    user_id = seen.get("user_id")
    if user_id is None:
        raise refuse(Outcome.INVALID_REQUEST, invalid, "The user_id parameter is required.")
    if not Owner.valid_id(user_id):  # what a session owner's id may be
        raise refuse(Outcome.INVALID_REQUEST, invalid, "The user_id parameter is malformed.")
    scope = seen.get("scope")
    if scope is not None and scope != LIMITED_SCOPE:
        raise refuse(
            Outcome.INVALID_SCOPE, AuthorizeErrorCode.INVALID_SCOPE, "Only user:limited is granted."
        )
    return AuthorizeRequest(client_id, redirect_uri, user_id, state, challenge)


def check_user(user: User | None) -> User:
    """The user to log in as, once an operator is signed in; an error page when there is none.

    Shown to the operator rather than sent to the app: the marketplace only says "Failed to
    authorize", and only a signed-in operator gets this far, so nobody learns which ids exist.
    """
    if user is None:
        raise AuthorizeError(Outcome.USER_UNKNOWN, "There is no such user.")
    if user.disabled:
        raise AuthorizeError(Outcome.USER_DISABLED, "This user is disabled.")
    return user
