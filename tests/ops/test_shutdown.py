"""SIGTERM under load: readiness turns 503, every accepted request gets its whole answer, and
the process exits 0 within drain_delay + shutdown_timeout.

The server runs with production-like argon2 cost (t=2, m=19 MiB, two slots), so a burst of
password grants is queued when SIGTERM arrives. Redis is paused (SIGSTOP) from just before
SIGTERM until the test has seen the listener close, so every grant that needs Redis is still in
flight then, whatever the machine's speed: the drain must finish them after the close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher

from service.models import User
from service.oauth.tokens import RefreshToken
from service.owners import Owner
from service.store.records import SessionLimits
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import make_client
from ..flows import TOKEN, UNAVAILABLE, anonymous_form, password_form, refresh_form
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

TIME_COST, MEMORY_COST = 2, 19456
DRAIN_DELAY, SHUTDOWN_TIMEOUT = 1.0, 10.0
# Redis stays paused this long after the listener closed, so the drain must wait for work.
HOLD_AFTER_CLOSE = 0.5
# Redis waits while it is paused: the longest socket timeout allowed, far above the pause
# (drain_delay, the time to see the listener close, and the hold).
REDIS_TIMEOUT = "5"
PASSWORD_GRANTS, REFRESH_GRANTS, ANONYMOUS = 60, 12, 12


@pytest.fixture
def server(redis: RedisProcess, tmp_path: Path) -> Iterator[ServiceProcess]:
    proc = ServiceProcess(
        tmp_path,
        redis.url,
        TOKENHOUSE_HASHING__TIME_COST=str(TIME_COST),
        TOKENHOUSE_HASHING__MEMORY_COST=str(MEMORY_COST),
        TOKENHOUSE_HASHING__MAX_CONCURRENCY="2",
        TOKENHOUSE_HASHING__MAX_QUEUE="100",
        TOKENHOUSE_SERVER__DRAIN_DELAY=str(DRAIN_DELAY),
        TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT=str(SHUTDOWN_TIMEOUT),
        TOKENHOUSE_SERVER__KEEPALIVE_TIMEOUT="5",
        # Attempts count when they start: 60 logins of one account at once would pass the limit.
        TOKENHOUSE_THROTTLE__ACCOUNT_FAILURES="1000",
        TOKENHOUSE_THROTTLE__SOURCE_FAILURES="1000",
        TOKENHOUSE_REDIS__SOCKET_TIMEOUT=REDIS_TIMEOUT,
        TOKENHOUSE_SERVER__REQUEST_TIMEOUT=REDIS_TIMEOUT,
    ).start()
    yield proc
    proc.kill()


async def seed(redis_url: str) -> tuple[str, str, list[str]]:
    """A public client, a user whose hash has the server's cost, and refresh tokens."""
    store = RedisBackend(connect(make_settings(redis={"url": redis_url}).redis), "th:")
    try:
        client = await make_client(store)
        ph = PasswordHasher(
            time_cost=TIME_COST, memory_cost=MEMORY_COST, parallelism=1, hash_len=32, salt_len=16
        )
        user = User("shutdown-user", "drain@example.com", ph.hash("pw-drain"))
        await store.users.create(user)
        tokens = []
        for _ in range(REFRESH_GRANTS):
            token = RefreshToken.new(Owner.user(user.user_id))
            await store.sessions.create(
                token.ref,
                client_id=client.client_id,
                scope="user",
                digest=token.digest,
                limits=SessionLimits(idle_ms=600_000, max_ms=600_000, grace_ms=60_000, cap=100),
            )
            tokens.append(token.value)
        return client.client_id, user.email, tokens
    finally:
        await store.close()


class Outcome:
    def __init__(self, kind: str, sent: float) -> None:
        self.kind = kind
        self.sent = sent
        self.done = 0.0
        self.status = 0
        self.body: Any = None
        self.error = ""


async def call(http: aiohttp.ClientSession, kind: str, form: dict[str, str]) -> Outcome:
    """One POST on a connection of its own; what came back, or the transport error."""
    outcome = Outcome(kind, time.monotonic())
    try:
        async with http.post(TOKEN, data=form) as resp:
            outcome.status = resp.status
            outcome.body = await resp.json()
    except (TimeoutError, aiohttp.ClientError) as exc:
        outcome.error = type(exc).__name__
    outcome.done = time.monotonic()
    return outcome


async def draining(server: ServiceProcess) -> None:
    """Until the process logs that it is draining (it has handled SIGTERM)."""
    while True:
        if '"server.draining"' in server.log_text():
            return
        await asyncio.sleep(0.01)


async def listener_closed(port: int) -> float:
    """The moment a new connection to the port is refused (the listener closed)."""
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return time.monotonic()
        writer.close()
        await asyncio.sleep(0.02)


async def test_sigterm_drains_every_accepted_request_and_exits_zero(
    server: ServiceProcess, redis: RedisProcess
) -> None:
    """Requests accepted before the listener closes all complete (200), also those that could
    only finish after it closed; /readyz turns 503; rc 0."""
    client_id, email, refresh_tokens = await seed(redis.url)
    password = password_form(client_id, email, "pw-drain")
    anonymous = anonymous_form(client_id)
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    timeout = aiohttp.ClientTimeout(total=SHUTDOWN_TIMEOUT + 10)
    async with aiohttp.ClientSession(server.url, connector=connector, timeout=timeout) as http:
        # Arrange: a burst of password grants queues on the two argon2 slots.
        tasks = [
            asyncio.create_task(call(http, "password", password)) for _ in range(PASSWORD_GRANTS)
        ]
        await asyncio.sleep(0.15)

        # Act: Redis stalls, then SIGTERM; more requests arrive during the drain delay.
        redis.pause()
        try:
            server.terminate()
            async with asyncio.timeout(10):
                await draining(server)
            async with http.get("/readyz") as resp:
                ready = (resp.status, await resp.json(), resp.headers.get("Connection"))
            for token in refresh_tokens:
                form = refresh_form(client_id, token)
                tasks.append(asyncio.create_task(call(http, "refresh", form)))
            tasks += [
                asyncio.create_task(call(http, "anonymous", anonymous)) for _ in range(ANONYMOUS)
            ]
            async with asyncio.timeout(DRAIN_DELAY + 10):
                closed = await listener_closed(server.port)
            await asyncio.sleep(HOLD_AFTER_CLOSE)
        finally:
            redis.resume()  # only now can a grant that needs Redis finish
        outcomes = await asyncio.gather(*tasks)
        rc = await asyncio.to_thread(server.wait, DRAIN_DELAY + SHUTDOWN_TIMEOUT + 5)
        async with aiohttp.ClientSession() as probe:
            with pytest.raises(aiohttp.ClientConnectorError):
                await probe.get(server.url + "/healthz")

    # Assert
    assert ready == (503, UNAVAILABLE, "close")
    assert max(o.sent for o in outcomes) < closed  # every request was sent while accepting
    failed = [(o.kind, o.status, o.error, o.body) for o in outcomes if o.status != 200]
    assert failed == []
    assert all("access_token" in o.body for o in outcomes)
    refreshed = [o for o in outcomes if o.kind == "refresh" and "refresh_token" in o.body]
    assert len(refreshed) == REFRESH_GRANTS
    # the drain really covered work in flight after the listener closed: each refresh needed
    # Redis, which answered only HOLD_AFTER_CLOSE seconds after the close
    assert min(o.done for o in refreshed) > closed + HOLD_AFTER_CLOSE
    assert rc == 0
    log = server.log_text()
    assert '"server.draining"' in log and '"server.stopped"' in log
