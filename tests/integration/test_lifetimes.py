"""Session lifetimes on real Redis: the idle TTL and the absolute lifetime."""

from __future__ import annotations

import asyncio

import pytest

from ..factories import make_client, make_user, store_of
from ..flows import INVALID_GRANT, login, ok, refresh

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_idle_session_expires(make_app, raw):
    """A session unused for longer than refresh_idle_ttl is gone: invalid_grant."""
    client = await make_app(tokens={"refresh_idle_ttl": 1})
    store = store_of(client)
    app, user = await make_client(store), await make_user(store, password="pw")
    token = (await ok(login(client, app.client_id, user.email, "pw")))["refresh_token"]
    await asyncio.sleep(1.1)

    result = await refresh(client, app.client_id, token)

    assert result == (401, INVALID_GRANT)
    assert await raw.keys(store.keys.session_prefix(f"u-{user.user_id}") + "*") == []


async def test_rotation_never_extends_absolute_lifetime(make_app, raw):
    """Refreshing within the idle TTL keeps a session alive only until refresh_max_ttl."""
    client = await make_app(tokens={"refresh_idle_ttl": 1, "refresh_max_ttl": 2})
    store = store_of(client)
    app, user = await make_client(store), await make_user(store, password="pw")
    token = (await ok(login(client, app.client_id, user.email, "pw")))["refresh_token"]
    key = (await raw.keys(store.keys.session_prefix(f"u-{user.user_id}") + "*"))[0]
    sid = key.decode().rpartition(":")[2]
    expiry = int(await raw.zscore(store.keys.index(f"u-{user.user_id}"), sid))
    statuses = []
    for _ in range(3):
        await asyncio.sleep(0.4)
        status, body = await refresh(client, app.client_id, token)
        statuses.append(status)
        token = body.get("refresh_token", token)
        if status == 200:
            now_ms = int((await raw.time())[0]) * 1000
            assert now_ms + await raw.pttl(key) <= expiry + 5
    await asyncio.sleep(max(0.0, expiry / 1000 - (await raw.time())[0]) + 0.3)

    final = await refresh(client, app.client_id, token)

    assert statuses == [200, 200, 200]
    assert final == (401, INVALID_GRANT)
    assert not await raw.exists(key)
