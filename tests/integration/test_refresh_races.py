"""Refresh rotation on real Redis over real HTTP: parallel refreshes, reuse, refresh vs revoke."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from ..factories import make_client, make_user, store_of
from ..flows import INVALID_GRANT, login, ok, refresh, revoke_sdk

pytestmark = pytest.mark.integration


async def setup_user(client):
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password="pw")
    return store, app, user


async def test_fifty_parallel_refreshes_converge_on_one_token(client, raw):
    """50 concurrent refreshes with one token all succeed and return the same new token."""
    store, app, user = await setup_user(client)
    old = (await ok(login(client, app.client_id, user.email, "pw")))["refresh_token"]

    results = await asyncio.gather(*(refresh(client, app.client_id, old) for _ in range(50)))

    statuses = {status for status, _ in results}
    tokens = {body["refresh_token"] for _, body in results}
    assert statuses == {200}
    assert len(tokens) == 1 and old not in tokens
    new = tokens.pop()
    sessions = await raw.keys(store.keys.session_prefix(f"u-{user.user_id}") + "*")
    assert len(sessions) == 1
    assert await raw.hget(sessions[0], "cur") == hashlib.sha256(new.encode()).digest()[:16]
    status_old, body_old = await refresh(client, app.client_id, old)
    assert status_old == 200 and body_old["refresh_token"] == new  # within grace
    status_new, body_new = await refresh(client, app.client_id, new)
    assert status_new == 200 and body_new["refresh_token"] not in (old, new)
    status_stale, body_stale = await refresh(client, app.client_id, old)
    assert (status_stale, body_stale) == (401, INVALID_GRANT)
    status_last, _ = await refresh(client, app.client_id, body_new["refresh_token"])
    assert status_last == 200


@pytest.mark.slow
async def test_reuse_after_grace_revokes_session(make_app, raw):
    """The previous token used after the grace window revokes the whole session."""
    client = await make_app(tokens={"refresh_grace": 1})
    store, app, user = await setup_user(client)
    first = (await ok(login(client, app.client_id, user.email, "pw")))["refresh_token"]
    _, rotated = await refresh(client, app.client_id, first)
    await asyncio.sleep(1.1)

    reuse = await refresh(client, app.client_id, first)
    after = await refresh(client, app.client_id, rotated["refresh_token"])

    assert reuse == (401, INVALID_GRANT)
    assert after == (401, INVALID_GRANT)
    assert await raw.zcard(store.keys.index(f"u-{user.user_id}")) == 0


async def test_strict_mode_second_use_revokes_session(make_app, raw):
    """With refresh_grace=0 a second use of the same token revokes the session."""
    client = await make_app(tokens={"refresh_grace": 0})
    store, app, user = await setup_user(client)
    first = (await ok(login(client, app.client_id, user.email, "pw")))["refresh_token"]
    status, rotated = await refresh(client, app.client_id, first)

    reuse = await refresh(client, app.client_id, first)
    after = await refresh(client, app.client_id, rotated["refresh_token"])

    assert status == 200
    assert reuse == (401, INVALID_GRANT)
    assert after == (401, INVALID_GRANT)
    assert await raw.keys(store.keys.session_prefix(f"u-{user.user_id}") + "*") == []


@pytest.mark.slow
async def test_refresh_racing_revoke_never_succeeds_after_revoke(client, raw):
    """Refreshes racing a revoke: none sent after the revoke answered succeeds; the key is gone."""
    store, app, user = await setup_user(client)
    tokens = await ok(login(client, app.client_id, user.email, "pw"))
    revoked_at: list[float] = []

    async def one_refresh(delay: float) -> tuple[float, int, str | None]:
        await asyncio.sleep(delay)
        sent = time.monotonic()
        status, body = await refresh(client, app.client_id, tokens["refresh_token"])
        return sent, status, body.get("refresh_token")

    async def do_revoke() -> tuple[int, object]:
        await asyncio.sleep(0.05)
        result = await revoke_sdk(client, tokens["access_token"], tokens["refresh_token"])
        revoked_at.append(time.monotonic())
        return result

    *refreshes, revoked = await asyncio.gather(
        *(one_refresh(i * 0.004) for i in range(40)), do_revoke()
    )

    follow_up = await asyncio.gather(*(one_refresh(0) for _ in range(10)))

    assert revoked == (200, {})
    late = [status for sent, status, _ in refreshes + follow_up if sent > revoked_at[0]]
    assert len(late) >= 10 and set(late) == {401}
    issued = {rt for _, status, rt in refreshes if status == 200}
    for rt in issued:
        assert await refresh(client, app.client_id, rt) == (401, INVALID_GRANT)
    assert await raw.keys(store.keys.session_prefix(f"u-{user.user_id}") + "*") == []
