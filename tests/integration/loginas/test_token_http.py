"""The authorization_code grant over HTTP: one good redemption, and every refusal as 401."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from service.loginas import pkce
from service.loginas.authorize import LoginAsApp
from service.models import ClientKind

from ...loginas_rehearsal import start_rehearsal
from .conftest import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    REDIRECT,
    USER,
    VERIFIER,
    Operator,
)

pytestmark = pytest.mark.integration

REFUSED = {
    "error": "invalid_grant",
    "error_description": "The authorization code is invalid, expired or already used.",
}


async def redeem(operator: Operator, code: str, **overrides: str | None):
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    resp = await operator.client.post(
        "/v1/auth/token", data={k: v for k, v in form.items() if v is not None}
    )
    return resp.status, await resp.json(), resp


def token_outcomes(logs) -> list[str]:
    return [e["outcome"] for e in logs if e["event"] == "login_as.token"]


async def test_code_redeems_for_a_limited_token_without_refresh(operator):
    """200 with exactly access_token, token_type, expires_in 1800, scope user:limited."""
    code = await operator.code()

    with capture_logs() as logs:
        status, body, resp = await redeem(operator, code)

    assert status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert sorted(body) == ["access_token", "expires_in", "scope", "token_type"]
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "bearer",
        1800,
        "user:limited",
    )
    claims = operator.rehearsal.codec.verify(body["access_token"], now=time.time())
    assert (claims["sub"], claims["act"], claims["client_id"]) == (
        USER.user_id,
        {"sub": "op-1"},
        CLIENT_ID,
    )
    assert token_outcomes(logs) == ["issued"]


async def test_reused_code_is_refused_and_revokes_the_first_token(operator):
    """A second redemption is 401 invalid_grant; the token of the first is revoked (§4.1.2)."""
    code = await operator.code()
    _, first, _ = await redeem(operator, code)

    with capture_logs() as logs:
        status, body, _ = await redeem(operator, code)

    assert (status, body) == (401, REFUSED)
    [issued] = operator.rehearsal.directory.issued
    assert operator.rehearsal.directory.revoked == [issued["jti"]]
    assert token_outcomes(logs) == ["reused_code"]


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"code_verifier": "x" * 43}, "wrong_verifier"),
        ({"code_verifier": pkce.s256(VERIFIER)}, "wrong_verifier"),
        ({"redirect_uri": REDIRECT + "/other"}, "wrong_redirect_uri"),
        ({"client_id": OTHER_CLIENT_ID}, "wrong_client"),
        ({"code": "A" * 43}, "unknown_code"),
        ({"code": "not a code"}, "unknown_code"),
    ],
    ids=[
        "wrong-verifier",
        "challenge-as-verifier",
        "other-redirect-uri",
        "other-client",
        "unknown",
        "malformed",
    ],
)
async def test_bad_redemption_is_401_invalid_grant(operator, overrides, outcome):
    """Wrong verifier, redirect URI or client, an unknown code: 401 invalid_grant, one body."""
    code = await operator.code()

    with capture_logs() as logs:
        status, body, _ = await redeem(operator, **{"code": code, **overrides})

    assert (status, body) == (401, REFUSED)
    assert token_outcomes(logs) == [outcome]


async def test_a_wrong_attempt_spends_the_code(operator):
    """After a wrong verifier the right one fails too: a code gets one attempt."""
    code = await operator.code()
    await redeem(operator, code, code_verifier="x" * 43)

    status, body, _ = await redeem(operator, code)

    assert (status, body) == (401, REFUSED)


async def test_missing_verifier_is_invalid_request_and_keeps_the_code(operator):
    """A request without code_verifier is 400 invalid_request and does not burn the code."""
    code = await operator.code()

    status, body, _ = await redeem(operator, code, code_verifier=None)
    retried, _, _ = await redeem(operator, code)

    assert (status, body) == (
        400,
        {
            "error": "invalid_request",
            "error_description": "The code_verifier parameter is required.",
        },
    )
    assert retried == 200


async def test_expired_code_is_refused(aiohttp_server, aiohttp_client, redis_url, signing_key):
    """A code redeemed after its lifetime is 401 invalid_grant."""
    rehearsal = await start_rehearsal(aiohttp_server, redis_url, signing_key, code_ttl_ms=200)
    rehearsal.directory.apps[CLIENT_ID] = LoginAsApp(
        CLIENT_ID, "M", ClientKind.MARKETPLACE, (REDIRECT,)
    )
    rehearsal.directory.users[USER.user_id] = USER
    operator = Operator(await aiohttp_client(rehearsal.server), rehearsal)
    code = await operator.code()
    await asyncio.sleep(0.4)

    status, body, _ = await redeem(operator, code)

    assert (status, body) == (401, REFUSED)


async def test_user_disabled_before_redemption_is_refused(operator):
    """A user disabled between confirmation and redemption gets no token."""
    code = await operator.code()
    d = operator.rehearsal.directory
    d.users[USER.user_id] = replace(USER, disabled=True)

    with capture_logs() as logs:
        status, body, _ = await redeem(operator, code)

    assert (status, body) == (401, REFUSED)
    assert token_outcomes(logs) == ["user_disabled"]


async def test_operator_disabled_before_redemption_is_refused(operator):
    """An operator disabled between confirmation and redemption: no token."""
    code = await operator.code()
    d = operator.rehearsal.directory
    d.operators["support@example.com"] = replace(d.operators["support@example.com"], disabled=True)

    status, body, _ = await redeem(operator, code)

    assert (status, body) == (401, REFUSED)


async def test_code_bound_to_its_user(operator):
    """The token names the user the code was confirmed for, not one asked for later."""
    code = await operator.code(user_id="user-2")

    status, body, _ = await redeem(operator, code, user_id=USER.user_id)

    assert status == 200
    assert operator.rehearsal.directory.issued[0]["sub"] == "user-2"
