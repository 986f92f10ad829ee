"""Redis Cluster faults against the live service: the whole cluster down, a master killed, a
master stalled, and start-up while the cluster is unreachable.

Each fault is answered 503 ``temporarily_unavailable`` with ``Retry-After`` within the fault
bound, never 500 (redis-py's cluster errors are not all ``RedisError``), and once the cluster is
back the same process serves again. The nodes persist with AOF, so sessions survive restarts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from service.owners import Owner
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import make_client, make_user
from ..faults.conftest import (
    CLIENT_SECRET,
    PASSWORD,
    Api,
    Reply,
    World,
    assert_unavailable,
    session_of,
)
from ..service_proc import ServiceProcess
from .procs import RedisCluster

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

AOF = ("--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
CLIENT_TTL = 1.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Three masters with AOF, for this module only (its tests break them)."""
    nodes = RedisCluster(Path(tmp_path_factory.mktemp("cluster-faults")), *AOF).start()
    yield nodes
    nodes.stop()


def cluster_env(cluster: RedisCluster) -> dict[str, str]:
    return {
        "TOKENHOUSE_REDIS__CLUSTER": "true",
        "TOKENHOUSE_CACHE__CLIENT_TTL": str(CLIENT_TTL),
        # the fault loops log one user in many times: the throttle is not under test here
        "TOKENHOUSE_THROTTLE__ACCOUNT_FAILURES": "100000",
        "TOKENHOUSE_THROTTLE__SOURCE_FAILURES": "100000",
    }


@pytest.fixture(scope="module")
def service(
    cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    proc = ServiceProcess(
        tmp_path_factory.mktemp("cluster-svc"), cluster.url, **cluster_env(cluster)
    )
    proc.start("/readyz")
    yield proc
    proc.stop()


@pytest.fixture(autouse=True)
def heal(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test: every node running and not paused, the cluster healthy."""
    yield
    if "cluster" not in request.fixturenames:
        return
    cluster: RedisCluster = request.getfixturevalue("cluster")
    for node in cluster.nodes:
        if node.process is None or node.process.poll() is not None:
            node.start()
        node.resume()
    cluster.wait_ok()


@pytest.fixture
async def store(cluster: RedisCluster) -> AsyncIterator[RedisBackend]:
    settings = make_settings(redis={"url": cluster.url, "cluster": True})
    s = RedisBackend(connect(settings.redis), settings.redis.prefix, deadline=5.0)
    yield s
    await s.close()


@pytest.fixture
async def api(service: ServiceProcess) -> AsyncIterator[Api]:
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(service.url, timeout=timeout) as http:
        yield Api(http)


@pytest.fixture
async def world(store: RedisBackend) -> World:
    app = await make_client(store, secret=CLIENT_SECRET)
    integ = await make_client(store, kind="integration", secret=CLIENT_SECRET)
    user = await make_user(store, email=f"{uuid.uuid4().hex[:10]}@example.com", password=PASSWORD)
    return World(app.client_id, integ.client_id, user.email, user.user_id)


async def signed_in(api: Api, world: World) -> tuple[str, str]:
    """(access token, refresh token) of a fresh login; the app and integration cached too."""
    login = await api.login(world.app, world.email)
    assert login.status == 200, login.body
    assert (await api.anonymous(world.app)).status == 200
    assert (await api.integration(world.integ)).status == 200
    return login.body["access_token"], login.body["refresh_token"]


async def stateful_calls(api: Api, world: World, access: str, refresh: str) -> list[Reply]:
    """Every grant that needs Redis, revoke and introspect."""
    return [
        await api.login(world.app, world.email),
        await api.login(world.app, world.email, "wrong password"),
        await api.refresh(world.app, refresh),
        await api.integration(world.integ),
        await api.exchange(world.app, access),
        await api.revoke(refresh, access),
        await api.introspect(world.app, refresh),
    ]


async def until_recovered(api: Api, world: World, refresh: str, within: float = 30.0) -> Reply:
    """Refresh until it answers 200 (the cluster has healed); every failure before is a 503."""
    deadline = time.monotonic() + within
    while True:
        reply = await api.refresh(world.app, refresh)
        if reply.status == 200 or time.monotonic() > deadline:
            return reply
        assert_unavailable(reply)
        await asyncio.sleep(0.2)


def no_server_errors(service: ServiceProcess) -> list[dict[str, object]]:
    return [e for e in service.events() if e["event"] == "server_error" or e.get("status") == 500]


async def test_whole_cluster_down_answers_503_and_recovers_without_restart(
    api: Api, world: World, cluster: RedisCluster, service: ServiceProcess
) -> None:
    """Every node stopped: stateful calls get a fast 503, cached anonymous tokens are served,
    /readyz is 503; the nodes back, the pre-fault session refreshes in the same process."""
    access, refresh = await signed_in(api, world)
    pid = service.process.pid

    for node in cluster.nodes:
        node.stop()
    replies = await stateful_calls(api, world, access, refresh)
    await asyncio.sleep(CLIENT_TTL + 0.1)  # the app's cache entry and readiness are stale
    anonymous = await api.anonymous(world.app)
    not_ready = await api.get("/readyz")
    for node in cluster.nodes:
        node.start()
    await asyncio.to_thread(cluster.wait_ok)
    again = await until_recovered(api, world, refresh)
    login = await api.login(world.app, world.email)
    ready = await api.get("/readyz")

    for reply in [*replies, not_ready]:
        assert_unavailable(reply)
    assert anonymous.status == 200 and anonymous.body["scope"] == "public-read"
    assert again.status == 200 and session_of(again.body["refresh_token"]) == session_of(refresh)
    assert login.status == 200
    assert ready.status == 200
    assert service.alive and service.process.pid == pid
    assert no_server_errors(service) == []


async def test_a_killed_master_answers_503_until_it_returns(
    api: Api, world: World, cluster: RedisCluster, store: RedisBackend, service: ServiceProcess
) -> None:
    """kill -9 of the master holding the user's slot: 503 (never 500) while it is gone and the
    cluster notices; restarted on its AOF, the same session refreshes again."""
    access, refresh = await signed_in(api, world)
    owner_node = cluster.node_for(store.keys.index(Owner.user(world.user_id)))

    owner_node.kill()
    during: list[Reply] = []
    ends = time.monotonic() + 3.0  # past the node timeout: the cluster state turns to fail
    while time.monotonic() < ends:
        during += await stateful_calls(api, world, access, refresh)
    owner_node.start()
    await asyncio.to_thread(cluster.wait_ok)
    again = await until_recovered(api, world, refresh)

    assert any(reply.status == 503 for reply in during)
    for reply in during:
        if reply.status != 200:
            assert_unavailable(reply)
    assert again.status == 200 and session_of(again.body["refresh_token"]) == session_of(refresh)
    assert (await api.login(world.app, world.email)).status == 200
    assert no_server_errors(service) == []


async def test_a_stalled_master_answers_503_within_bound_and_recovers(
    api: Api, world: World, cluster: RedisCluster, store: RedisBackend, service: ServiceProcess
) -> None:
    """SIGSTOP of the master holding the user's slot: that user's calls get 503 in time (20 at
    once too); resumed, the same session refreshes and logins work."""
    access, refresh = await signed_in(api, world)
    owner_node = cluster.node_for(store.keys.index(Owner.user(world.user_id)))

    owner_node.pause()
    try:
        stalled = [
            await api.refresh(world.app, refresh),
            await api.exchange(world.app, access),
            await api.introspect(world.app, refresh),
            await api.login(world.app, world.email),
        ]
        burst = await asyncio.gather(*(api.refresh(world.app, refresh) for _ in range(20)))
    finally:
        owner_node.resume()
    await asyncio.to_thread(cluster.wait_ok)
    again = await until_recovered(api, world, refresh)

    for reply in [*stalled, *burst]:
        assert_unavailable(reply)
    assert again.status == 200 and session_of(again.body["refresh_token"]) == session_of(refresh)
    assert (await api.login(world.app, world.email)).status == 200
    assert no_server_errors(service) == []


def test_starts_while_the_cluster_is_unreachable_and_becomes_ready(
    cluster: RedisCluster, tmp_path: Path
) -> None:
    """Every node down at start: live (200) but not ready (503), then ready once the cluster
    is back, without a restart."""
    for node in cluster.nodes:
        node.stop()
    server = ServiceProcess(tmp_path, cluster.url, **cluster_env(cluster))
    try:
        server.start()
        live = server.get("/healthz")
        not_ready = server.get("/readyz")
        for node in cluster.nodes:
            node.start()
        cluster.wait_ok()
        deadline = time.monotonic() + 15
        ready = server.get("/readyz")
        while ready[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            ready = server.get("/readyz")
        alive = server.alive
    finally:
        server.stop()

    assert live == (200, b'{"status":"ok"}')
    assert not_ready[0] == 503
    assert ready == (200, b'{"status":"ready"}')
    assert alive
    assert no_server_errors(server) == []
