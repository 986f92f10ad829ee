"""Our own access tokens on real Redis: a few seconds of leeway, and revocation entries that
outlive that leeway."""

from __future__ import annotations

import asyncio
import time

import pytest

from ..factories import make_client, make_user
from ..flows import (
    INVALID_SUBJECT,
    exchange,
    jwt_parts,
    login,
    ok,
    revoke_sdk,
)
from .conftest import services_of

pytestmark = pytest.mark.integration

SECRET = "app-secret-value"
DEFAULT_LEEWAY = 5


async def user_login(client):
    store = services_of(client).store
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
    pttl = await raw.pttl(
        services_of(client).store.keys.revoked(f"u-{user.user_id}", claims["jti"])
    )

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
