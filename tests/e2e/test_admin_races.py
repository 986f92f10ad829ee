"""Ending all of a user's sessions through the admin API while logins and refreshes are in
flight, on the real process and real Redis: no session created or rotated meanwhile survives.

The process hashes with slow argon2 parameters, so a burst of logins is provably inside its
password check (each has read the user, the queue depth says so) when the end is sent. Then
every one of them must fail, every refresh token must be dead, and no session may be left.
The module's process logs at info level, so its admin.call events are checked here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from ..admin_api import call
from ..flows import TOKEN, password_form, refresh_form
from ..ops.prom import metric_sum, parse_metrics
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess, base_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOGINS = 6  # in flight at once (argon2 runs two at a time; the rest wait, the user read)
PASSWORD = "race password"
BAD_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}
ENDS = {
    "logout everywhere": ("DELETE", "/sessions", None),
    "new password": ("PATCH", "", {"password": "another race password"}),
    "disable": ("PATCH", "", {"disabled": True}),
    "delete": ("DELETE", "", None),
}


@pytest.fixture(scope="module")
def racing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, str]]:
    """A process with slow argon2 and info logs on a Redis of its own, and an admin token."""
    workdir = tmp_path_factory.mktemp("races")
    redis = RedisProcess(workdir / "redis").start()
    slow = {
        "TOKENHOUSE_HASHING__TIME_COST": "3",
        "TOKENHOUSE_HASHING__MEMORY_COST": "32768",
        "TOKENHOUSE_THROTTLE__SOURCE_FAILURES": "1000",
        "TOKENHOUSE_LOG__LEVEL": "info",
    }
    server = ServiceProcess(workdir / "service", redis.url, **slow)
    try:
        server.start()
        env = base_env(TOKENHOUSE_REDIS__URL=redis.url, **slow)
        token = run_cli(env, "admin-tokens", "create", "--name", "races")["token"]
        yield server, token
    finally:
        server.stop()
        redis.stop()


@pytest.fixture
async def sessions(racing) -> AsyncIterator[tuple[aiohttp.ClientSession, aiohttp.ClientSession]]:
    server, _ = racing
    timeout = aiohttp.ClientTimeout(total=60)
    async with (
        aiohttp.ClientSession(server.url, timeout=timeout) as public,
        aiohttp.ClientSession(server.admin_url, timeout=timeout) as admin,
    ):
        yield public, admin


async def post_form(http: aiohttp.ClientSession, form: dict[str, str]) -> tuple[int, Any]:
    async with http.post(TOKEN, data=form) as resp:
        return resp.status, await resp.json()


async def queue_depth(admin: aiohttp.ClientSession) -> float:
    async with admin.get("/metrics") as resp:
        return metric_sum(parse_metrics(await resp.text()), "tokenhouse_argon2_queue_depth")


async def keep_refreshing(
    public: aiohttp.ClientSession, client_id: str, token: str, seen: list[str]
) -> None:
    """Refresh a session over and over (each answer's token next), noting every token."""
    while True:
        status, body = await post_form(public, refresh_form(client_id, token))
        if status != 200:
            return
        token = body["refresh_token"]
        seen.append(token)


@pytest.mark.parametrize("end", sorted(ENDS))
async def test_no_session_survives_an_end_with_logins_and_refreshes_in_flight(
    racing, sessions, end
) -> None:
    """The end arrives while six logins are inside argon2 and two sessions keep refreshing:
    every login still in argon2 gets 401, every refresh token seen answers 401, no session
    is left."""
    _, token = racing
    public, admin = sessions
    _, app, _ = await call(
        admin, "POST", "/admin/v1/apps", token, {"kind": "marketplace", "name": "r"}
    )
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    _, user, _ = await call(
        admin, "POST", "/admin/v1/users", token, {"email": email, "password": PASSWORD}
    )
    cid, path = app["client_id"], f"/admin/v1/users/{user['id']}"
    earlier = [(await post_form(public, password_form(cid, email, PASSWORD)))[1] for _ in range(2)]
    seen = [e["refresh_token"] for e in earlier]
    refreshers = [
        asyncio.create_task(keep_refreshing(public, cid, e["refresh_token"], seen)) for e in earlier
    ]
    logins = [
        asyncio.create_task(post_form(public, password_form(cid, email, PASSWORD)))
        for _ in range(LOGINS)
    ]
    deadline = time.monotonic() + 30
    while await queue_depth(admin) < LOGINS:
        assert time.monotonic() < deadline, "the logins never all reached argon2"
        await asyncio.sleep(0.01)

    method, suffix, body = ENDS[end]
    ended = await call(admin, method, path + suffix, token, body)
    answers = await asyncio.gather(*logins)
    await asyncio.sleep(0.2)  # refreshes sent before the end have been answered by now
    for task in refreshers:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert ended[0] in (200, 204)
    if end == "new password":
        # Hashing the new password queues behind the logins' argon2: logins that finish first
        # answer 200, and their sessions must be ended with the others.
        assert all(a == (401, BAD_LOGIN) or a[0] == 200 for a in answers)
        seen += [body["refresh_token"] for status, body in answers if status == 200]
    else:
        assert answers == [(401, BAD_LOGIN)] * LOGINS
    for refresh_token in seen:
        assert (await post_form(public, refresh_form(cid, refresh_token)))[0] == 401
    listed = await call(admin, "GET", f"{path}/sessions", token)
    assert listed[:2] == ((404, listed[1]) if end == "delete" else (200, []))


def test_admin_calls_are_logged_with_the_token_id_and_target_never_the_token(racing) -> None:
    """Every admin.call event names the admin token's id, the operation and its target."""
    server, token = racing
    events = [e for e in server.events() if e.get("event") == "admin.call"]
    token_id = token.split("_")[1]

    assert events and {e["admin"] for e in events} == {token_id}
    assert {"create_app", "create_user"} <= {e["operation"] for e in events}
    assert all(e["target"] for e in events if e["operation"] != "list_user_sessions")
    assert token not in server.log_text() and token.split("_", 2)[2] not in server.log_text()
