"""Ending all of a user's sessions (disable, password change with logout, delete, logout
everywhere) against logins and refreshes in flight, on real Redis with the real operator CLI:
a session created or rotated concurrently with the end does not outlive it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from service.owners import Owner
from service.store.records import UserChange

from ..factories import make_client, make_user, store_of
from ..flows import (
    BAD_LOGIN,
    INVALID_GRANT,
    INVALID_SUBJECT,
    exchange,
    integration_login,
    introspect,
    login,
    ok,
    refresh,
)
from ..security.helpers import VerifyRecorder
from ..service_proc import base_env, run_cli
from .conftest import services_of

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct horse"
SECRET = "app-secret-value"

END_COMMANDS = {
    "disable": (["users", "disable"], None),
    "set-password --logout": (
        ["users", "set-password", "--password-stdin", "--logout"],
        "new password",
    ),
    "delete": (["users", "delete"], None),
}


def cli(redis_url: str, *args: str, stdin: str | None = None) -> Any:
    """The real operator CLI on the test's Redis, as an operator would run it."""
    return run_cli(base_env(TOKENHOUSE_REDIS__URL=redis_url), *args, stdin=stdin)


async def wait_until(predicate: Any, what: str) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


async def live_session_keys(raw: Any, owner: str) -> list[bytes]:
    """Every session key and the index of ``owner`` still in Redis."""
    found = [k async for k in raw.scan_iter(f"th:s:{{{owner}}}:*")]
    return found + [k async for k in raw.scan_iter(f"th:sessions:{{{owner}}}")]


async def login_overlapping(client: Any, app_id: str, email: str, during: Any) -> Any:
    """A login held inside its argon2 check while ``during()`` runs; the login's answer."""
    services = services_of(client)
    gate = threading.Event()
    VerifyRecorder(services.hasher, gate)
    pending = asyncio.create_task(login(client, app_id, email, PASSWORD))
    try:
        await wait_until(lambda: services.hasher.stats.running == 1, "argon2 running")
        await during()
        assert not pending.done()
    finally:
        gate.set()
    return await pending


@pytest.mark.parametrize("command", sorted(END_COMMANDS))
async def test_a_login_whose_password_check_overlaps_the_end_creates_no_session(
    make_app: Any, redis_url: str, raw: Any, command: str
) -> None:
    """disable / set-password --logout / delete while a login's argon2 runs: the login gets
    401, no session of the user is left, and an earlier refresh token answers 401."""
    client = await make_app()
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password=PASSWORD)
    earlier = await ok(login(client, app.client_id, user.email, PASSWORD))
    args, stdin = END_COMMANDS[command]

    async def end() -> None:
        await asyncio.to_thread(cli, redis_url, *args, "--email", user.email, stdin=stdin)

    answer = await login_overlapping(client, app.client_id, user.email, end)

    assert answer == (401, BAD_LOGIN)
    assert await live_session_keys(raw, Owner.user(user.user_id)) == []
    assert await refresh(client, app.client_id, earlier["refresh_token"]) == (401, INVALID_GRANT)


async def test_a_login_overlapping_logout_everywhere_creates_no_session(
    make_app: Any, redis_url: str, raw: Any
) -> None:
    """sessions revoke --user during a login's argon2 check: no session survives the end."""
    client = await make_app()
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password=PASSWORD)

    async def end() -> None:
        await asyncio.to_thread(cli, redis_url, "sessions", "revoke", "--user", user.email)

    answer = await login_overlapping(client, app.client_id, user.email, end)

    assert answer == (401, BAD_LOGIN)
    assert await live_session_keys(raw, Owner.user(user.user_id)) == []
    assert (await login(client, app.client_id, user.email, PASSWORD))[0] == 200


async def test_disable_then_enable_during_a_login_still_ends_that_login(
    make_app: Any, raw: Any
) -> None:
    """A user disabled and enabled again while a login's argon2 runs: that login opens nothing."""
    client = await make_app()
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password=PASSWORD)

    async def end() -> None:
        assert (
            await store.sessions.end_all(Owner.user(user.user_id), UserChange(disabled=True)) == 0
        )
        assert await store.users.set_disabled(user.user_id, False)

    answer = await login_overlapping(client, app.client_id, user.email, end)

    assert answer == (401, BAD_LOGIN)
    assert await live_session_keys(raw, Owner.user(user.user_id)) == []


async def test_refreshes_racing_the_end_of_all_sessions_leave_nothing_alive(
    make_app: Any, raw: Any
) -> None:
    """Refreshes sent together with "end all sessions": afterwards every token answers 401."""
    client = await make_app()
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password=PASSWORD)
    tokens = [await ok(login(client, app.client_id, user.email, PASSWORD)) for _ in range(8)]

    raced = await asyncio.gather(
        *(refresh(client, app.client_id, t["refresh_token"]) for t in tokens),
        store.sessions.end_all(Owner.user(user.user_id), UserChange(disabled=True)),
    )
    latest = [
        reply[1]["refresh_token"] if reply[0] == 200 else t["refresh_token"]
        for reply, t in zip(raced[:-1], tokens, strict=True)
    ]

    for token in latest:
        assert await refresh(client, app.client_id, token) == (401, INVALID_GRANT)
    assert await live_session_keys(raw, Owner.user(user.user_id)) == []


async def test_a_disabled_user_refreshes_and_exchanges_nothing(make_app: Any, raw: Any) -> None:
    """disabled=1 set on the record by hand: refresh 401, token exchange 401, introspection
    inactive, although the session keys are still there."""
    client = await make_app()
    store = store_of(client)
    app = await make_client(store, secret=SECRET)
    user = await make_user(store, password=PASSWORD)
    tokens = await ok(login(client, app.client_id, user.email, PASSWORD))

    await raw.hset(store.keys.user(user.user_id), "disabled", "1")

    assert await refresh(client, app.client_id, tokens["refresh_token"]) == (401, INVALID_GRANT)
    assert await exchange(client, app.client_id, SECRET, tokens["access_token"]) == (
        401,
        INVALID_SUBJECT,
    )
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert await introspect(client, app.client_id, SECRET, token) == (200, {"active": False})


async def test_integration_client_sessions_open_rotate_and_end_as_before(
    make_app: Any, redis_url: str, raw: Any
) -> None:
    """An integration client's sessions (owner c-<client id>) have no user record to check:
    they open, rotate and end with sessions revoke --client."""
    client = await make_app()
    store = store_of(client)
    integ = await make_client(store, kind="integration", secret=SECRET)
    first = await ok(integration_login(client, integ.client_id, SECRET))
    second = await ok(refresh(client, integ.client_id, first["refresh_token"]))

    ended = await asyncio.to_thread(
        cli, redis_url, "sessions", "revoke", "--client", integ.client_id
    )

    assert ended == {"sessions_ended": 1}
    assert await refresh(client, integ.client_id, second["refresh_token"]) == (401, INVALID_GRANT)
    assert await live_session_keys(raw, Owner.client(integ.client_id)) == []
    assert (await integration_login(client, integ.client_id, SECRET))[0] == 200
