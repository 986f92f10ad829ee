"""Redeeming a code: every refusal of the token request is 401 invalid_grant."""

from __future__ import annotations

import pytest

from service.errors import OAuthError
from service.loginas import pkce
from service.loginas.audit import Outcome
from service.loginas.codes import CodeRecord, new_code
from service.loginas.redemption import Redemption, decide, parse_redemption, refusal
from service.models import ClientCredentials, TokenRequest, User
from service.store.records import UNKNOWN_CODE, FreshCode, UsedCode

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REDIRECT = "https://market.example/api/login-as"
CODE = new_code()
RECORD = CodeRecord("cid-1", REDIRECT, "user-1", pkce.s256(VERIFIER), "op-1")
USER = User("user-1", "u@example.com", "hash")
FRESH = FreshCode(RECORD)
USED = UsedCode("j", None)


def request(**params: str) -> TokenRequest:
    base = {
        "grant_type": "authorization_code",
        "code": CODE,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }
    base.update(params)
    return TokenRequest({k: v for k, v in base.items() if v}, ClientCredentials("cid-1", None))


def redemption(**fields: str) -> Redemption:
    base = {"client_id": "cid-1", "code": CODE, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    base.update(fields)
    return Redemption(**base)


def body(error: OAuthError) -> tuple[int, dict[str, str]]:
    return error.status, {"error": error.code.value, "error_description": error.description}


def test_the_sdks_request_parses():
    """loginAs's parameters (client_id, code, redirect_uri, code_verifier) make a redemption."""
    assert parse_redemption(request()) == redemption()


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "code_verifier"])
def test_missing_parameter_is_invalid_request(missing):
    """A missing parameter is 400 invalid_request, before any code is consumed."""
    with pytest.raises(OAuthError) as caught:
        parse_redemption(request(**{missing: ""}))

    assert body(caught.value) == (
        400,
        {"error": "invalid_request", "error_description": f"The {missing} parameter is required."},
    )


def test_missing_client_id_is_invalid_request():
    """Without a client_id there is no one to redeem for: 400 invalid_request."""
    req = TokenRequest({"code": CODE}, ClientCredentials(None, None))

    with pytest.raises(OAuthError) as caught:
        parse_redemption(req)

    assert body(caught.value) == (
        400,
        {"error": "invalid_request", "error_description": "The client_id parameter is required."},
    )


def test_right_redemption_is_issued():
    """The right client, redirect URI and verifier for a fresh code: issued."""
    assert decide(redemption(), FRESH, user=USER, operator_active=True) is Outcome.ISSUED


@pytest.mark.parametrize(
    ("changed", "consumed", "outcome"),
    [
        ({"code_verifier": "x" * 43}, FRESH, Outcome.WRONG_VERIFIER),
        ({"code_verifier": pkce.s256(VERIFIER)}, FRESH, Outcome.WRONG_VERIFIER),  # plain
        ({"code_verifier": "short"}, FRESH, Outcome.WRONG_VERIFIER),
        ({"redirect_uri": REDIRECT + "/"}, FRESH, Outcome.WRONG_REDIRECT_URI),
        ({"client_id": "cid-2"}, FRESH, Outcome.WRONG_CLIENT),
        ({}, USED, Outcome.REUSED_CODE),
        ({}, UNKNOWN_CODE, Outcome.UNKNOWN_CODE),
        ({"code": "not-a-code"}, UNKNOWN_CODE, Outcome.UNKNOWN_CODE),
    ],
    ids=[
        "wrong-verifier",
        "challenge-as-verifier",
        "malformed-verifier",
        "other-redirect-uri",
        "other-client",
        "reused",
        "expired-or-unknown",
        "malformed-code",
    ],
)
def test_code_refusals(changed, consumed, outcome):
    """Wrong verifier, redirect URI or client, a reused or expired code: each is refused."""
    assert decide(redemption(**changed), consumed, user=USER, operator_active=True) is outcome


def test_reuse_is_reported_before_anything_else():
    """A used code is REUSED_CODE even when the rest of the request is right."""
    assert decide(redemption(), USED, user=USER, operator_active=True) is Outcome.REUSED_CODE


@pytest.mark.parametrize(
    ("user", "operator_active", "outcome"),
    [
        (USER, False, Outcome.OPERATOR_DISABLED),
        (None, True, Outcome.USER_UNKNOWN),
        (User("user-2", "v@example.com", "h"), True, Outcome.USER_UNKNOWN),
        (User("user-1", "u@example.com", "h", disabled=True), True, Outcome.USER_DISABLED),
    ],
    ids=["operator-disabled", "user-gone", "other-user", "user-disabled"],
)
def test_party_refusals(user, operator_active, outcome):
    """A disabled operator, a deleted, other or disabled user: refused though the code is right."""
    assert decide(redemption(), FRESH, user=user, operator_active=operator_active) is outcome


REFUSALS = [
    Outcome.UNKNOWN_CODE,
    Outcome.REUSED_CODE,
    Outcome.WRONG_CLIENT,
    Outcome.WRONG_REDIRECT_URI,
    Outcome.WRONG_VERIFIER,
    Outcome.OPERATOR_DISABLED,
    Outcome.USER_UNKNOWN,
    Outcome.USER_DISABLED,
]


@pytest.mark.parametrize("outcome", REFUSALS)
def test_every_refusal_is_the_same_401(outcome):
    """Whatever the reason, the caller sees 401 invalid_grant with one description."""
    error = refusal(outcome)

    assert body(error) == (
        401,
        {
            "error": "invalid_grant",
            "error_description": "The authorization code is invalid, expired or already used.",
        },
    )
    assert error.detail == outcome.value
