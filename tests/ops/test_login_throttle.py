"""The login throttle holds under concurrency: two server processes on one Redis, parallel
wrong passwords, and at most the limit of them answered other than 429 (each attempt is counted
in Redis before argon2 runs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import make_client, make_user
from ..flows import BAD_LOGIN, TOKEN, TOO_MANY, password_form
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess, start_all

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ACCOUNT_LIMIT = 10
SOURCE_LIMIT = 12
WINDOW = 900
PARALLEL = 40


@pytest.fixture(scope="module")
def pair(
    redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    """Two servers on one Redis, argon2 at a realistic cost (a verification takes a while)."""
    workdir = Path(tmp_path_factory.mktemp("throttle-pair"))
    servers = [
        ServiceProcess(
            workdir,
            redis.url,
            TOKENHOUSE_HASHING__TIME_COST="2",
            TOKENHOUSE_HASHING__MEMORY_COST="8192",
            TOKENHOUSE_THROTTLE__ACCOUNT_FAILURES=str(ACCOUNT_LIMIT),
            TOKENHOUSE_THROTTLE__SOURCE_FAILURES=str(SOURCE_LIMIT),
            TOKENHOUSE_THROTTLE__WINDOW=str(WINDOW),
        )
        for _ in range(2)
    ]
    start_all(*servers)
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


@pytest.fixture
async def store(redis: RedisProcess) -> AsyncIterator[RedisBackend]:
    redis.command("FLUSHALL")
    s = RedisBackend(connect(make_settings(redis={"url": redis.url}).redis), "th:")
    yield s
    await s.close()


async def attempt(
    http: aiohttp.ClientSession, server: ServiceProcess, form: dict[str, str]
) -> tuple[int, object, str | None]:
    async with http.post(server.url + TOKEN, data=form) as resp:
        return resp.status, await resp.json(), resp.headers.get("Retry-After")


async def burst(
    pair: tuple[ServiceProcess, ServiceProcess], forms: list[dict[str, str]]
) -> list[tuple[int, object, str | None]]:
    """Every form at once, alternating between the two servers."""
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        return await asyncio.gather(
            *(attempt(http, pair[i % 2], form) for i, form in enumerate(forms))
        )


def assert_throttled(replies: list[tuple[int, object, str | None]], limit: int) -> None:
    """At most ``limit`` answers other than 429; every 429 is the RFC body with Retry-After."""
    passed = [r for r in replies if r[0] != 429]
    throttled = [r for r in replies if r[0] == 429]
    assert len(passed) <= limit, sorted(r[0] for r in replies)
    assert all((status, body) == (401, BAD_LOGIN) for status, body, _ in passed), passed
    assert len(throttled) >= len(replies) - limit
    for _, body, retry_after in throttled:
        assert body == TOO_MANY
        assert retry_after is not None and 1 <= int(retry_after) <= WINDOW


async def test_parallel_wrong_passwords_for_one_account_pass_at_most_the_limit(
    pair: tuple[ServiceProcess, ServiceProcess], store: RedisBackend
) -> None:
    """40 parallel wrong passwords for one account over two servers: at most 10 are not 429."""
    app = await make_client(store)
    user = await make_user(store, password="right password")
    forms = [password_form(app.client_id, user.email, f"wrong {i}") for i in range(PARALLEL)]

    replies = await burst(pair, forms)

    assert_throttled(replies, ACCOUNT_LIMIT)
    assert await store.redis.ttl(store.keys.failures_account(user.email)) > 0


async def test_parallel_wrong_passwords_for_an_unknown_account_pass_at_most_the_limit(
    pair: tuple[ServiceProcess, ServiceProcess], store: RedisBackend
) -> None:
    """The same burst for an account that does not exist is throttled the same way."""
    app = await make_client(store)
    forms = [password_form(app.client_id, "nobody@example.com", "guess") for _ in range(PARALLEL)]

    replies = await burst(pair, forms)

    assert_throttled(replies, ACCOUNT_LIMIT)


async def test_parallel_attempts_from_one_source_pass_at_most_the_source_limit(
    pair: tuple[ServiceProcess, ServiceProcess], store: RedisBackend
) -> None:
    """40 parallel guesses at 40 different accounts from one address: at most 12 are not 429."""
    app = await make_client(store)
    forms = [
        password_form(app.client_id, f"spray{i}@example.com", "guess") for i in range(PARALLEL)
    ]

    replies = await burst(pair, forms)

    assert_throttled(replies, SOURCE_LIMIT)
