"""Our own access tokens on real Redis: a few seconds of leeway, revocation entries that outlive
that leeway, and the revoke endpoint's Bearer checked like every other use of our tokens."""

from __future__ import annotations

import asyncio
import time

import pytest

from ..factories import make_client, make_user, store_of
from ..flows import (
    INVALID_SUBJECT,
    REVOKE,
    bearer,
    exchange,
    jwt_parts,
    login,
    ok,
    post,
    refresh,
    revoke_sdk,
)

pytestmark = pytest.mark.integration

SECRET = "app-secret-value"
DEFAULT_LEEWAY = 5
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token is invalid, expired or revoked.",
}


async def user_login(client):
    store = store_of(client)
    app = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    return app, user, await ok(login(client, app.client_id, user.email, "pw"))


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


@pytest.mark.slow
async def test_expired_subject_token_answers_401_with_a_5_second_access_ttl(make_app):
    """ACCESS_TTL=5: once past exp and the default leeway, token_exchange answers 401."""
    client = await make_app(tokens={"access_ttl": 5})
    app, _, tokens = await user_login(client)
    exp = jwt_parts(tokens["access_token"])[1]["exp"]
    fresh = await exchange(client, app.client_id, SECRET, tokens["access_token"])
    await sleep_until(exp + DEFAULT_LEEWAY + 0.5)

    expired = await exchange(client, app.client_id, SECRET, tokens["access_token"])

    assert fresh[0] == 200
    assert expired == (401, INVALID_SUBJECT)


async def test_revocation_entry_lives_until_exp_plus_the_leeway(client, raw):
    """A revoked access token's entry has a TTL of its remaining life plus tokens.leeway."""
    _, user, tokens = await user_login(client)
    claims = jwt_parts(tokens["access_token"])[1]
    access = tokens["access_token"]

    status, _ = await revoke_sdk(client, access, access)
    pttl = await raw.pttl(store_of(client).keys.revoked(f"u-{user.user_id}", claims["jti"]))

    expected_ms = (claims["exp"] + DEFAULT_LEEWAY - time.time()) * 1000
    assert status == 200
    assert expected_ms - 2000 < pttl <= expected_ms + 50


@pytest.mark.slow
async def test_token_revoked_near_its_expiry_stays_refused_through_the_leeway(make_app):
    """Revoked 2 s before exp, the token is still refused after exp, within the leeway."""
    client = await make_app(tokens={"access_ttl": 2})
    app, _, tokens = await user_login(client)
    access = tokens["access_token"]
    exp = jwt_parts(access)[1]["exp"]
    assert (await revoke_sdk(client, access, access))[0] == 200
    await sleep_until(exp + 1)  # the entry of old died at exp; verification runs until exp + 5

    answer = await exchange(client, app.client_id, SECRET, access)

    assert answer == (401, INVALID_SUBJECT)


async def test_revoked_access_token_cannot_authorise_a_revoke(client):
    """A Bearer whose jti was revoked is 401 invalid_token; the session it names lives on."""
    app, user, tokens = await user_login(client)
    other = await ok(login(client, app.client_id, user.email, "pw"))
    access = tokens["access_token"]
    assert (await revoke_sdk(client, access, access))[0] == 200

    async with client.post(
        REVOKE, data={"token": other["refresh_token"]}, headers=bearer(access)
    ) as resp:
        answer = (resp.status, await resp.json(), resp.headers.get("WWW-Authenticate"))

    assert answer == (401, INVALID_TOKEN, 'Bearer error="invalid_token"')
    assert (await refresh(client, app.client_id, other["refresh_token"]))[0] == 200


async def test_logged_out_sessions_access_token_cannot_authorise_a_revoke(client):
    """After logout (its refresh token revoked) the session's access token is refused as Bearer."""
    app, user, tokens = await user_login(client)
    other = await ok(login(client, app.client_id, user.email, "pw"))
    assert (await revoke_sdk(client, tokens["access_token"], tokens["refresh_token"]))[0] == 200

    answer = await post(
        client, REVOKE, {"token": other["refresh_token"]}, headers=bearer(tokens["access_token"])
    )

    assert answer == (401, INVALID_TOKEN)
    assert (await refresh(client, app.client_id, other["refresh_token"]))[0] == 200


async def test_revoked_anonymous_token_cannot_authorise_a_revoke(client):
    """An anonymous access token revoked by its client is refused as a Bearer."""
    store = store_of(client)
    app = await make_client(store)
    anon = await ok(
        post(
            client,
            "/v1/auth/token",
            {"grant_type": "client_credentials", "client_id": app.client_id},
        )
    )
    access = anon["access_token"]
    assert (await revoke_sdk(client, access, access))[0] == 200

    answer = await revoke_sdk(client, access, access)

    assert answer == (401, INVALID_TOKEN)
