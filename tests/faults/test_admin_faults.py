"""Redis faults against the admin listener of the live service: 503 JSON, as the public one.

Refused and stalled Redis answer 503 ``temporarily_unavailable`` with ``Retry-After`` within
the fault bound (the admin token itself is checked in Redis, so even that answers 503, never
401); a full Redis stores nothing of a new user; recovery needs no restart.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from service.admin.admin_tokens import AdminTokens
from service.store.redis import RedisBackend

from ..admin_api import UNAVAILABLE, call
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess
from .conftest import FAULT_ANSWER_BOUND
from .test_redis_faults import fill_memory

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture
async def admin(service: ServiceProcess) -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(service.admin_url, timeout=timeout) as http:
        yield http


@pytest.fixture
async def token(store: RedisBackend) -> str:
    return (await AdminTokens(store.admin_tokens).create("faults")).token


async def every_call(admin: aiohttp.ClientSession, token: str, user_id: str) -> list[Any]:
    """One call of each kind (read, create, change, end sessions), each timed."""
    calls = [
        ("GET", "/admin/v1/apps", None),
        ("GET", f"/admin/v1/users/{user_id}", None),
        ("POST", "/admin/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@example.com"}),
        ("PATCH", f"/admin/v1/users/{user_id}", {"disabled": True}),
        ("DELETE", f"/admin/v1/users/{user_id}/sessions", None),
        ("GET", "/admin/v1/idps", None),
    ]
    replies = []
    for method, path, body in calls:
        started = time.monotonic()
        status, answer, resp = await call(admin, method, path, token, body)
        replies.append((status, answer, dict(resp.headers), time.monotonic() - started))
    return replies


def assert_all_unavailable(replies: list[Any]) -> None:
    for status, body, headers, elapsed in replies:
        assert (status, body) == (503, UNAVAILABLE)
        assert int(headers["Retry-After"]) >= 1 and headers["Cache-Control"] == "no-store"
        assert elapsed < FAULT_ANSWER_BOUND, f"503 took {elapsed:.2f} s"


async def new_user(admin: aiohttp.ClientSession, token: str) -> str:
    body = {"email": f"{uuid.uuid4().hex[:8]}@example.com"}
    status, user, _ = await call(admin, "POST", "/admin/v1/users", token, body)
    assert status == 201, user
    return str(user["id"])


async def test_redis_stopped_answers_503_json_then_recovers(
    admin, token, fault_redis: RedisProcess, service: ServiceProcess
) -> None:
    """Redis refused: every admin call (its token check included) is 503 JSON in time."""
    user_id = await new_user(admin, token)

    fault_redis.stop()
    replies = await every_call(admin, token, user_id)
    fault_redis.start()
    again = await call(admin, "GET", f"/admin/v1/users/{user_id}", token)

    assert_all_unavailable(replies)
    assert again[0] == 200 and again[1]["disabled"] is False
    assert service.alive


async def test_redis_stalled_answers_503_in_time(admin, token, fault_redis: RedisProcess) -> None:
    """Redis paused (SIGSTOP): 503 within the bound; resumed, the same calls work."""
    user_id = await new_user(admin, token)

    fault_redis.pause()
    try:
        replies = await every_call(admin, token, user_id)
    finally:
        fault_redis.resume()

    assert_all_unavailable(replies)
    assert (await call(admin, "GET", f"/admin/v1/users/{user_id}", token))[0] == 200


async def test_a_full_redis_stores_nothing_of_a_new_user(
    admin, token, fault_redis: RedisProcess, store: RedisBackend
) -> None:
    """maxmemory reached: creating a user is 503 and leaves no record and no e-mail key."""
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    written = await fill_memory(fault_redis, store)

    status, body, _ = await call(admin, "POST", "/admin/v1/users", token, {"email": email})
    fault_redis.command("CONFIG", "SET", "maxmemory", "0")
    await store.redis.delete(*(f"fill:{i}" for i in range(written)))

    assert (status, body) == (503, UNAVAILABLE)
    assert await store.users.find_id(email) is None
    assert [u for u in await store.users.list() if u.email == email] == []
