"""The authorization_code grant on the real process: one good redemption, every refusal as 401."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from service.loginas import pkce
from service.loginas.codes import code_digest

from .conftest import REDIRECT, VERIFIER, Browser

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REFUSED = {
    "error": "invalid_grant",
    "error_description": "The authorization code is invalid, expired or already used.",
}


async def redeem(public, world, code: str | None, /, **overrides: str | None):
    """What the SDK's loginAs posts to /v1/auth/token (no secret, no scope)."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "client_id": world.app["client_id"],
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    async with public.post(
        "/v1/auth/token", data={k: v for k, v in form.items() if v is not None}
    ) as resp:
        return resp.status, await resp.json(), resp


def claims_of(token: str) -> dict:
    """The claims of one of our JWTs (the signature is the service's business here)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def introspect(public, world, token: str) -> dict:
    data = {"token": token, "client_id": world.app["client_id"]}
    data["client_secret"] = world.app["client_secret"]
    async with public.post("/v1/auth/introspect", data=data) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_code_redeems_for_a_limited_token_without_refresh(operator, public, world, audit):
    """200 with exactly access_token, bearer, expires_in 1800, scope user:limited; audited."""
    code = await operator.code()

    status, body, resp = await redeem(public, world, code)

    assert status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert sorted(body) == ["access_token", "expires_in", "scope", "token_type"]
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "bearer",
        1800,
        "user:limited",
    )
    claims = claims_of(body["access_token"])
    assert (claims["sub"], claims["act"], claims["client_id"]) == (
        world.user["id"],
        {"sub": world.operator["id"]},
        world.app["client_id"],
    )
    assert audit.rows("login_as.token") == [
        (world.operator["id"], world.user["id"], world.app["client_id"], "issued")
    ]
    assert code not in world.service.process.log_text()


async def test_reused_code_is_refused_and_revokes_the_first_token(operator, public, world, audit):
    """A second redemption is 401 invalid_grant, and the first token dies (RFC 6749 §4.1.2)."""
    code = await operator.code()
    _, first, _ = await redeem(public, world, code)
    assert (await introspect(public, world, first["access_token"]))["active"] is True

    status, body, _ = await redeem(public, world, code)

    assert (status, body) == (401, REFUSED)
    assert await introspect(public, world, first["access_token"]) == {"active": False}
    assert audit.outcomes("login_as.token") == ["issued", "reused_code"]


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"code_verifier": "x" * 43}, "wrong_verifier"),
        ({"code_verifier": pkce.s256(VERIFIER)}, "wrong_verifier"),
        ({"redirect_uri": REDIRECT + "/other"}, "wrong_redirect_uri"),
        ({"client_id": "other"}, "wrong_client"),
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
async def test_bad_redemption_is_401_invalid_grant(
    operator, public, world, audit, overrides, outcome
):
    """Wrong verifier, redirect URI or client, an unknown code: 401 invalid_grant, one body."""
    code = await operator.code()
    if overrides.get("client_id") == "other":
        overrides = {"client_id": world.other_app["client_id"]}

    status, body, _ = await redeem(public, world, code, **overrides)

    assert (status, body) == (401, REFUSED)
    assert audit.outcomes("login_as.token") == [outcome]


async def test_a_wrong_attempt_spends_the_code(operator, public, world):
    """After a wrong verifier the right one fails too: a code gets one attempt."""
    code = await operator.code()
    await redeem(public, world, code, code_verifier="x" * 43)

    status, body, _ = await redeem(public, world, code)

    assert (status, body) == (401, REFUSED)


async def test_missing_verifier_is_invalid_request_and_keeps_the_code(operator, public, world):
    """A request without code_verifier is 400 invalid_request and does not burn the code."""
    code = await operator.code()

    status, body, _ = await redeem(public, world, code, code_verifier=None)
    retried, _, _ = await redeem(public, world, code)

    assert (status, body) == (
        400,
        {
            "error": "invalid_request",
            "error_description": "The code_verifier parameter is required.",
        },
    )
    assert retried == 200


async def test_expired_code_is_refused(operator, public, world):
    """A code whose 60 s are over (its key expired in Redis) is 401 invalid_grant."""
    code = await operator.code()
    world.redis.command("PEXPIRE", f"th:code:{code_digest(code)}", "1")
    await asyncio.sleep(0.05)

    status, body, _ = await redeem(public, world, code)

    assert (status, body) == (401, REFUSED)


async def test_user_disabled_before_redemption_is_refused(operator, public, world, audit):
    """A user disabled (CLI) between confirmation and redemption gets no token."""
    user = world.service.new_user()
    code = await operator.code(user_id=user["id"])
    world.service.cli("users", "disable", "--email", user["email"])

    status, body, _ = await redeem(public, world, code)

    assert (status, body) == (401, REFUSED)
    assert audit.outcomes("login_as.token") == ["user_disabled"]


async def test_operator_disabled_before_redemption_is_refused(operator, public, world, audit):
    """An operator disabled (CLI) between confirmation and redemption: no token."""
    staff = world.service.new_operator()
    await operator.signed_in(email=staff["email"])
    code = await operator.code()
    world.service.cli("operators", "disable", staff["id"])

    status, body, _ = await redeem(public, world, code)

    assert (status, body) == (401, REFUSED)
    assert audit.outcomes("login_as.token") == ["operator_disabled"]


async def test_code_bound_to_its_user(operator, public, world):
    """The token names the user the code was confirmed for, whatever the redemption says."""
    code = await operator.code(user_id=world.other_user["id"])

    status, body, _ = await redeem(public, world, code, user_id=world.user["id"])

    assert status == 200
    assert claims_of(body["access_token"])["sub"] == world.other_user["id"]


async def test_disabling_the_user_ends_the_login_as_token(operator, public, world):
    """users disable ends every session of the user, the login-as one too: inactive at once."""
    user = world.service.new_user()
    _, body, _ = await redeem(public, world, await operator.code(user_id=user["id"]))

    world.service.cli("users", "disable", "--email", user["email"])

    assert await introspect(public, world, body["access_token"]) == {"active": False}


async def test_a_login_as_token_is_not_exchanged(operator, public, world):
    """token_exchange with a user:limited subject: 400 invalid_scope (no SDK refresh loop)."""
    _, limited, _ = await redeem(public, world, await operator.code())
    form = {
        "grant_type": "token_exchange",
        "client_id": world.app["client_id"],
        "client_secret": world.app["client_secret"],
        "subject_token": limited["access_token"],
    }

    async with public.post("/v1/auth/token", data=form) as resp:
        status, body = resp.status, await resp.json()

    assert (status, body) == (
        400,
        {"error": "invalid_scope", "error_description": "A login-as token cannot be exchanged."},
    )


async def test_two_browsers_confirming_get_two_codes(
    operator: Browser, another_browser, public, world
):
    """Each confirmation makes its own code; both redeem (one per login-as)."""
    first, second = await operator.code(), await another_browser.code()

    results = [await redeem(public, world, code) for code in (first, second)]

    assert first != second and [r[0] for r in results] == [200, 200]
