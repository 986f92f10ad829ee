"""Redis Sentinel: the service follows a failover without a restart.

The client asks the sentinel for the master on every new connection; a connection to a dead
master fails (503, no retry of state-changing scripts) and the next one reaches the new
master; a demoted master's READONLY reply drops that connection the same way.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.models import Client, User

from ..conftest import make_settings
from ..factories import make_client, make_user, store_of
from ..flows import UNAVAILABLE, introspect, login, ok, refresh
from ..listeners import admin_of, serve_both
from ..redis_proc import RedisProcess
from .procs import SentinelSet
from .prom import metric_sum, parse_metrics

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "sentinel-secret"


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
    return await serve_both(aiohttp_client, create_app(settings, signing=signing_key))


def _offset(node: RedisProcess, field: str) -> int:
    info = node.command("INFO", "replication").decode()
    return int(re.search(rf"^{field}:(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def replicate(sentinel: SentinelSet, within: float = 10.0) -> None:
    """Wait until the replica has every write the master has so far. (WAIT would not do: it
    counts only the calling connection's own writes, and the service wrote on its own.)"""
    target = _offset(sentinel.master(), "master_repl_offset")
    deadline = time.monotonic() + within
    while _offset(sentinel.replica(), "slave_repl_offset") < target:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


async def replicated_login(http: TestClient, sentinel: SentinelSet) -> tuple[Client, User, Any]:
    """A confidential client, a user and their login, replicated before any fault."""
    store = store_of(http)
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    before = await ok(login(http, client.client_id, user.email, "pw"))
    replicate(sentinel)
    return client, user, before


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
    client, user, before = await replicated_login(http, sentinel)
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
    resp = await admin_of(http).get("/metrics")
    assert metric_sum(parse_metrics(await resp.text()), "tokenhouse_redis_errors_total") >= 1

    sentinel.rejoin(old_master)  # back as the new master's replica for the next test


async def test_service_follows_a_planned_failover_of_a_live_master(
    http: TestClient, sentinel: SentinelSet
) -> None:
    """SENTINEL FAILOVER demotes a live master: writes move to the promoted node."""
    client, user, before = await replicated_login(http, sentinel)
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
