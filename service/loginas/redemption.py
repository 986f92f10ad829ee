"""Redeeming a login-as code at the token endpoint: RFC 6749 §4.1.3 with RFC 7636 §4.6.

``grant_type=authorization_code`` from a public client: ``client_id``, ``code``,
``redirect_uri``, ``code_verifier``. Every refusal is ``401 invalid_grant`` with one
description, so a caller learns nothing about why; the audit log gets the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ErrorCode, OAuthError
from ..models import TokenRequest, User
from ..store.records import CodeResult, UnknownCode, UsedCode
from . import pkce
from .audit import Outcome
from .codes import is_code

GRANT_TYPE = "authorization_code"
PARAMETERS = frozenset({"code", "redirect_uri", "code_verifier"})
REFUSED = "The authorization code is invalid, expired or already used."


@dataclass(frozen=True)
class Redemption:
    """A token request for a code, with every parameter present."""

    client_id: str
    code: str
    redirect_uri: str
    code_verifier: str

    @property
    def well_formed(self) -> bool:
        """Whether the code could be one of ours (a malformed one needs no Redis round trip)."""
        return is_code(self.code)


def parse_redemption(req: TokenRequest) -> Redemption:
    """The redemption a token request asks for; 400 invalid_request when a parameter is missing.

    Nothing is consumed for a request missing a parameter, so a client's mistake does not
    burn a code.
    """
    client_id = req.credentials.client_id
    if client_id is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The client_id parameter is required.")
    values = {}
    for name in ("code", "redirect_uri", "code_verifier"):
        value = req.get(name)
        if value is None:
            raise OAuthError(ErrorCode.INVALID_REQUEST, f"The {name} parameter is required.")
        values[name] = value
    return Redemption(client_id, values["code"], values["redirect_uri"], values["code_verifier"])


def decide(
    redemption: Redemption,
    consumed: CodeResult,
    *,
    user: User | None,
    operator_active: bool,
) -> Outcome:
    """``Outcome.ISSUED``, or why the code may not be redeemed.

    ``consumed`` is what consuming the code found, so a code is spent by any attempt, right
    or wrong; ``user`` is the record's user (None when unknown, or when the code was not
    fresh) and ``operator_active`` whether the confirming operator may still act. "ensure
    that the "redirect_uri" parameter is present ... and that their values are identical"
    (RFC 6749 §4.1.3); the verifier's challenge must equal the stored one (RFC 7636 §4.6).
    On ``REUSED_CODE`` the caller revokes what the first use issued: "SHOULD revoke (when
    possible) all tokens previously issued based on that authorization code" (§4.1.2).
    """
    if not redemption.well_formed or isinstance(consumed, UnknownCode):
        return Outcome.UNKNOWN_CODE
    if isinstance(consumed, UsedCode):
        return Outcome.REUSED_CODE
    record = consumed.record
    if record.client_id != redemption.client_id:
        return Outcome.WRONG_CLIENT
    if record.redirect_uri != redemption.redirect_uri:
        return Outcome.WRONG_REDIRECT_URI
    if not pkce.verify(redemption.code_verifier, record.code_challenge):
        return Outcome.WRONG_VERIFIER
    if not operator_active:
        return Outcome.OPERATOR_DISABLED
    if user is None or user.user_id != record.user_id:
        return Outcome.USER_UNKNOWN
    if user.disabled:
        return Outcome.USER_DISABLED
    return Outcome.ISSUED


def refusal(outcome: Outcome) -> OAuthError:
    """The error for a refused redemption: always ``401 invalid_grant``, reason only logged."""
    return OAuthError(ErrorCode.INVALID_GRANT, REFUSED, detail=outcome.value)
