"""Redis Sentinel: the service follows a failover without a restart.

The client asks the sentinel for the master on every new connection; a connection to a dead
master fails (503, no retry of state-changing scripts) and the next one reaches the new
master; a demoted master's READONLY reply drops that connection the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.api.appkeys import SERVICES
from service.app import create_app

from ..conftest import make_settings
from ..factories import make_client, make_user
from .flows import introspect, login, metric_sum, parse_metrics, refresh
from .procs import SentinelSet, raw_command

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "sentinel-secret"
UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service is temporarily unavailable; retry later.",
}


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    """A master, its replica and one sentinel for the module."""
    nodes = SentinelSet(Path(tmp_path_factory.mktemp("sentinel"))).start()
    yield nodes
    nodes.stop()


@pytest.fixture
async def http(aiohttp_client: Any, sentinel: SentinelSet, signing_key: Any) -> TestClient:
    sentinel.wait_stable()
    settings = make_settings(redis={"url": sentinel.url})
    return await aiohttp_client(create_app(settings, signing=signing_key))


def replicate(sentinel: SentinelSet) -> None:
    """WAIT until the replica has every write so far (what min-replicas-to-write bounds)."""
    assert raw_command(sentinel.master().port, "WAIT", "1", "2000") == b":1\r\n"


async def until_ok(
    call: Callable[[], Awaitable[tuple[int, Any]]], within: float = 30.0
) -> tuple[tuple[int, Any], list[tuple[int, Any]]]:
    """Repeat ``call`` until it answers 200; (that answer, the failures before it)."""
    failures: list[tuple[int, Any]] = []
    deadline = time.monotonic() + within
    while True:
        result = await call()
        if result[0] == 200 or time.monotonic() > deadline:
            return result, failures
        failures.append(result)
        await asyncio.sleep(0.2)


async def test_service_recovers_after_the_master_is_killed(
    http: TestClient, sentinel: SentinelSet
) -> None:
    """Master killed: 503s while the sentinel fails over, then the pre-failover session works."""
    store = http.server.app[SERVICES].store
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    status, before = await login(http, client.client_id, user.email, "pw")
    assert status == 200
    replicate(sentinel)
    old_master = sentinel.master()

    old_master.kill()
    (status, after), failures = await until_ok(
        lambda: introspect(http, client.client_id, SECRET, before["access_token"])
    )

    assert (status, after["active"]) == (200, True)
    assert failures and all(failure == (503, UNAVAILABLE) for failure in failures)
    assert sentinel.master_port() != old_master.port
    assert (await refresh(http, client.client_id, before["refresh_token"]))[0] == 200
    assert (await login(http, client.client_id, user.email, "pw"))[0] == 200
    resp = await http.get("/metrics")
    assert metric_sum(parse_metrics(await resp.text()), "tokenhouse_redis_errors_total") >= 1

    sentinel.rejoin(old_master)  # back as the new master's replica for the next test


async def test_service_follows_a_planned_failover_of_a_live_master(
    http: TestClient, sentinel: SentinelSet
) -> None:
    """SENTINEL FAILOVER demotes a live master: writes move to the promoted node."""
    store = http.server.app[SERVICES].store
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    status, before = await login(http, client.client_id, user.email, "pw")
    assert status == 200
    replicate(sentinel)
    old_port = sentinel.master_port()

    assert sentinel.sentinel_command("SENTINEL", "FAILOVER", sentinel.service) == b"+OK\r\n"
    await asyncio.to_thread(sentinel.wait_master_moved, old_port)
    (status, rotated), failures = await until_ok(
        lambda: refresh(http, client.client_id, before["refresh_token"])
    )

    assert sentinel.master_port() != old_port
    assert status == 200
    assert all(failure == (503, UNAVAILABLE) for failure in failures)
    assert (await refresh(http, client.client_id, rotated["refresh_token"]))[0] == 200
    assert (await login(http, client.client_id, user.email, "pw"))[0] == 200
