"""The operator interface on real Redis: deleting keys ends sessions; forged tokens change nothing."""

from __future__ import annotations

import secrets

import pytest

from service.oauth.tokens import RefreshToken

from ..factories import make_client, make_user, store_of
from ..flows import (
    INVALID_GRANT,
    INVALID_SUBJECT,
    anonymous,
    exchange,
    integration_login,
    introspect,
    login,
    ok,
    refresh,
    revoke_sdk,
)

pytestmark = pytest.mark.integration

SECRET = "app-secret-value"


async def setup_user(client):
    store = store_of(client)
    app = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    return store, app, user


def session_key(store, refresh_token: str) -> str:
    owner, sid, _ = refresh_token.split(".")
    return store.keys.session(owner, sid)


async def test_del_session_key_ends_that_session_at_once(client, redis_server):
    """DEL <p>s:{u-<uid>}:<sid>: refresh 401, access token inactive, token_exchange 401."""
    store, app, user = await setup_user(client)
    gone = await ok(login(client, app.client_id, user.email, "pw"))
    kept = await ok(login(client, app.client_id, user.email, "pw"))

    reply = redis_server.command("DEL", session_key(store, gone["refresh_token"]))

    assert reply == b":1\r\n"
    assert await refresh(client, app.client_id, gone["refresh_token"]) == (401, INVALID_GRANT)
    assert await introspect(client, app.client_id, SECRET, gone["access_token"]) == (
        200,
        {"active": False},
    )
    assert await exchange(client, app.client_id, SECRET, gone["access_token"]) == (
        401,
        INVALID_SUBJECT,
    )
    assert (await refresh(client, app.client_id, kept["refresh_token"]))[0] == 200


async def test_del_user_index_ends_all_user_sessions(client, redis_server):
    """DEL <p>sessions:{u-<uid>} ends every session of the user at once."""
    store, app, user = await setup_user(client)
    other = await make_user(store, password="pw")
    logins = [await ok(login(client, app.client_id, user.email, "pw")) for _ in range(3)]
    bystander = await ok(login(client, app.client_id, other.email, "pw"))

    reply = redis_server.command("DEL", store.keys.index(f"u-{user.user_id}"))

    assert reply == b":1\r\n"
    for tokens in logins:
        assert await refresh(client, app.client_id, tokens["refresh_token"]) == (
            401,
            INVALID_GRANT,
        )
        assert await introspect(client, app.client_id, SECRET, tokens["access_token"]) == (
            200,
            {"active": False},
        )
        assert (await exchange(client, app.client_id, SECRET, tokens["access_token"]))[0] == 401
    assert (await refresh(client, app.client_id, bystander["refresh_token"]))[0] == 200


async def test_del_user_key_ends_all_user_sessions(client, redis_server):
    """DEL <p>user:{u-<uid>} ends every session of the user: refresh 401, token exchange 401,
    introspection inactive, and the next login with the old password fails."""
    store, app, user = await setup_user(client)
    other = await make_user(store, password="pw")
    logins = [await ok(login(client, app.client_id, user.email, "pw")) for _ in range(2)]
    bystander = await ok(login(client, app.client_id, other.email, "pw"))

    reply = redis_server.command("DEL", store.keys.user(user.user_id))

    assert reply == b":1\r\n"
    for tokens in logins:
        assert await refresh(client, app.client_id, tokens["refresh_token"]) == (
            401,
            INVALID_GRANT,
        )
        for token in (tokens["access_token"], tokens["refresh_token"]):
            assert await introspect(client, app.client_id, SECRET, token) == (
                200,
                {"active": False},
            )
        assert await exchange(client, app.client_id, SECRET, tokens["access_token"]) == (
            401,
            INVALID_SUBJECT,
        )
    assert (await login(client, app.client_id, user.email, "pw"))[0] == 401
    assert (await refresh(client, app.client_id, bystander["refresh_token"]))[0] == 200


async def test_del_client_index_ends_all_integration_sessions(client, redis_server):
    """DEL <p>sessions:{c-<client id>} ends every session of an integration client."""
    store = store_of(client)
    integ = await make_client(store, kind="integration", secret=SECRET)
    sessions = [await ok(integration_login(client, integ.client_id, SECRET)) for _ in range(2)]

    reply = redis_server.command("DEL", store.keys.index(f"c-{integ.client_id}"))

    assert reply == b":1\r\n"
    for tokens in sessions:
        assert await refresh(client, integ.client_id, tokens["refresh_token"]) == (
            401,
            INVALID_GRANT,
        )
        assert await introspect(client, integ.client_id, SECRET, tokens["access_token"]) == (
            200,
            {"active": False},
        )
    assert (await ok(integration_login(client, integ.client_id, SECRET)))["scope"] == "integ"


async def test_forged_token_revokes_nothing(client, raw):
    """A token with the right owner and session id but a wrong secret changes nothing."""
    store, app, user = await setup_user(client)
    tokens = await ok(login(client, app.client_id, user.email, "pw"))
    real = RefreshToken.parse(tokens["refresh_token"])
    forged = RefreshToken(real.owner, real.sid, secrets.token_bytes(32)).value
    key = session_key(store, tokens["refresh_token"])
    before = await raw.hgetall(key)

    refreshed = await refresh(client, app.client_id, forged)
    revoked = await revoke_sdk(client, tokens["access_token"], forged)

    assert refreshed == (401, INVALID_GRANT)
    assert revoked == (200, {})
    assert await raw.hgetall(key) == before
    assert (await refresh(client, app.client_id, tokens["refresh_token"]))[0] == 200


async def test_token_of_another_client_leaves_session_alive(client, raw):
    """Another client presenting the token (refresh or revoke) leaves the session alive."""
    store, app, user = await setup_user(client)
    intruder = await make_client(store)
    tokens = await ok(login(client, app.client_id, user.email, "pw"))
    intruder_access = (await ok(anonymous(client, intruder.client_id)))["access_token"]
    key = session_key(store, tokens["refresh_token"])
    before = await raw.hgetall(key)

    refreshed = await refresh(client, intruder.client_id, tokens["refresh_token"])
    revoked = await revoke_sdk(client, intruder_access, tokens["refresh_token"])

    assert refreshed == (401, INVALID_GRANT)
    assert revoked == (200, {})
    assert await raw.hgetall(key) == before
    assert (await refresh(client, app.client_id, tokens["refresh_token"]))[0] == 200


async def test_max_sessions_drops_the_oldest(make_app, raw):
    """With tokens.max_sessions=2 a third login ends the oldest session."""
    client = await make_app(tokens={"max_sessions": 2})
    store, app, user = await setup_user(client)
    logins = [await ok(login(client, app.client_id, user.email, "pw")) for _ in range(3)]

    oldest = await refresh(client, app.client_id, logins[0]["refresh_token"])
    newer = [await refresh(client, app.client_id, t["refresh_token"]) for t in logins[1:]]

    assert oldest == (401, INVALID_GRANT)
    assert [status for status, _ in newer] == [200, 200]
    assert await raw.zcard(store.keys.index(f"u-{user.user_id}")) == 2
    assert not await raw.exists(session_key(store, logins[0]["refresh_token"]))
