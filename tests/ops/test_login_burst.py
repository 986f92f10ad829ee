"""Logins under a burst, on the real process with two workers: right passwords for one account
beyond its attempt limit all answer 200 (they wait for the attempts in flight), and a client
that leaves while its login waits for argon2 frees its place."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import make_client, make_user
from ..flows import BAD_LOGIN, TOKEN, password_form
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CONNECTIONS = 32
ROUNDS = 3


@pytest.fixture(scope="module")
def two_workers(redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """``serve --workers 2`` with production argon2 (m=19 MiB, t=2) and 10 attempts an account."""
    server = ServiceProcess(
        Path(tmp_path_factory.mktemp("burst")),
        redis.url,
        "--workers",
        "2",
        TOKENHOUSE_HASHING__TIME_COST="2",
        TOKENHOUSE_HASHING__MEMORY_COST="19456",
        TOKENHOUSE_THROTTLE__ACCOUNT_FAILURES="10",
        TOKENHOUSE_LOG__LEVEL="info",
    ).start("/readyz")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def slow_argon2(redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One worker, one argon2 slot and one waiting place, each verification ~0.7 s."""
    server = ServiceProcess(
        Path(tmp_path_factory.mktemp("slow-argon2")),
        redis.url,
        TOKENHOUSE_HASHING__TIME_COST="16",
        TOKENHOUSE_HASHING__MEMORY_COST="65536",
        TOKENHOUSE_HASHING__MAX_CONCURRENCY="1",
        TOKENHOUSE_HASHING__MAX_QUEUE="1",
        TOKENHOUSE_LOG__LEVEL="info",
    ).start("/readyz")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def queued_argon2(redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One worker, one argon2 slot with room to wait, ~0.7 s a verification, 3 attempts an
    account."""
    server = ServiceProcess(
        Path(tmp_path_factory.mktemp("queued-argon2")),
        redis.url,
        TOKENHOUSE_HASHING__TIME_COST="16",
        TOKENHOUSE_HASHING__MEMORY_COST="65536",
        TOKENHOUSE_HASHING__MAX_CONCURRENCY="1",
        TOKENHOUSE_THROTTLE__ACCOUNT_FAILURES="3",
        TOKENHOUSE_LOG__LEVEL="info",
    ).start("/readyz")
    yield server
    server.stop()


@pytest.fixture
async def store(redis: RedisProcess) -> AsyncIterator[RedisBackend]:
    redis.command("FLUSHALL")
    s = RedisBackend(connect(make_settings(redis={"url": redis.url}).redis), "th:")
    yield s
    await s.close()


async def test_a_burst_of_right_passwords_for_one_account_answers_200_to_every_login(
    two_workers: ServiceProcess, store: RedisBackend
) -> None:
    """32 clients, 3 logins each, one account (limit 10) over two workers: 96 times 200."""
    app = await make_client(store)
    user = await make_user(store, password="right password")
    form = password_form(app.client_id, user.email, "right password")

    async def client(http: aiohttp.ClientSession) -> list[int]:
        statuses = []
        for _ in range(ROUNDS):
            async with http.post(two_workers.url + TOKEN, data=form) as resp:
                statuses.append(resp.status)
                await resp.read()
        return statuses

    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        results = await asyncio.gather(*(client(http) for _ in range(CONNECTIONS)))

    statuses = Counter(s for r in results for s in r)
    assert statuses == {200: CONNECTIONS * ROUNDS}
    key = store.keys.failures_account(user.email)
    assert await store.redis.exists(key, store.keys.in_flight(key)) == 0


async def test_a_client_that_leaves_while_waiting_for_argon2_frees_its_place(
    slow_argon2: ServiceProcess, store: RedisBackend
) -> None:
    """With one slot and one waiting place: a running login, a waiting one whose client gives up,
    then a third login: it takes the freed place (401, not 503), and the second is logged as
    cancelled."""
    app = await make_client(store)
    url = slow_argon2.url + TOKEN

    async def login(name: str, delay: float, give_up: float) -> int | None:
        await asyncio.sleep(delay)
        form = password_form(app.client_id, f"{name}@example.com", "guess")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=give_up)) as http,
                http.post(url, data=form) as resp,
            ):
                assert await resp.json() == BAD_LOGIN or resp.status != 401
                return resp.status
        except TimeoutError:
            return None  # the client gave up and closed its connection

    running, leaving, third = await asyncio.gather(
        login("running", 0, 30), login("leaving", 0.1, 0.25), login("third", 0.45, 30)
    )

    assert (running, leaving, third) == (401, None, 401)
    await asyncio.sleep(0.2)
    cancelled = [e for e in slow_argon2.events() if e.get("outcome") == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["status"] == 499
    assert cancelled[0]["event"] == "token.failed" and cancelled[0]["grant_type"] == "password"


async def test_clients_that_leave_mid_login_do_not_lock_their_account(
    queued_argon2: ServiceProcess, store: RedisBackend
) -> None:
    """Six logins (the limit is 3) whose clients give up while argon2 is busy with the first:
    the three counted attempts are given back and the three waiting leave the line, so nothing
    stays counted and the next login answers 200."""
    app = await make_client(store)
    user = await make_user(store, password="right password")
    form = password_form(app.client_id, user.email, "right password")
    url = queued_argon2.url + TOKEN

    async def leave() -> None:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.4)) as http,
                http.post(url, data=form) as resp,
            ):
                await resp.read()
        except TimeoutError:
            pass

    await asyncio.gather(*(leave() for _ in range(6)))
    key = store.keys.failures_account(user.email)
    assert await settled(queued_argon2, _nothing_counted(store, key))
    cancelled = [e for e in password_events(queued_argon2) if e.get("outcome") == "cancelled"]
    assert len(cancelled) > 3  # more than the limit reached the grant and left it

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.post(url, data=form) as resp:
        assert resp.status == 200
    assert await store.redis.exists(key, store.keys.in_flight(key)) == 0


def password_events(server: ServiceProcess) -> list[dict[str, object]]:
    return [e for e in server.events() if e.get("grant_type") == "password"]


def _nothing_counted(store: RedisBackend, key: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await store.redis.exists(key, store.keys.in_flight(key)) == 0

    return check


async def settled(server: ServiceProcess, check: Callable[[], Awaitable[bool]]) -> bool:
    """True once ``check`` holds and the server logged no new password event for 0.5 s;
    False after 15 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    seen = -1
    while loop.time() < deadline:
        logged = len(password_events(server))
        if logged == seen and await check():
            return True
        seen = logged
        await asyncio.sleep(0.5)
    return False
