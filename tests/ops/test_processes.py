"""Several processes on one Redis: `serve --workers 2` on one port, two independent servers,
and a signing-key rotation carried out in phases across both servers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from service.crypto.jwt import generate_pem
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import make_client, make_user
from ..flows import (
    INVALID_GRANT,
    INVALID_SUBJECT,
    exchange,
    introspect,
    jwt_parts,
    login,
    refresh,
    revoke,
)
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess, start_all
from .prom import parse_metrics

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SECRET = "proc-secret"


@pytest.fixture
async def store(redis: RedisProcess) -> AsyncIterator[RedisBackend]:
    s = RedisBackend(connect(make_settings(redis={"url": redis.url}).redis), "th:")
    yield s
    await s.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that opens a new connection per request (so SO_REUSEPORT spreads them)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        yield session


class At:
    """Requests against one server's base URL through a shared session."""

    def __init__(self, session: aiohttp.ClientSession, server: ServiceProcess) -> None:
        self.session, self.base, self.admin = session, server.url, server.admin_url

    def post(self, path: str, **kw: Any) -> Any:
        return self.session.post(self.base + path, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.session.get(self.base + path, **kw)


def kid_of(token: str) -> str:
    return jwt_parts(token)[0]["kid"]


@pytest.fixture(scope="module")
def pair(
    redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    """Two independent servers on one Redis with the same signing key."""
    workdir = Path(tmp_path_factory.mktemp("pair"))
    keys = workdir / "keys"
    keys.mkdir()
    (keys / "shared.pem").write_bytes(generate_pem("ES256"))
    servers = [ServiceProcess(workdir, redis.url, TOKENHOUSE_KEYS__DIR=str(keys)) for _ in range(2)]
    start_all(*servers)
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


async def scrape_workers(at: At, within: float = 30.0) -> dict[float, float]:
    """Each worker's sessions-created count, keyed by its registry's ``_created`` time: scrape
    (each on a new connection, which SO_REUSEPORT hands to either worker) until both answered."""
    workers: dict[float, float] = {}
    deadline = time.monotonic() + within
    while len(workers) < 2 and time.monotonic() < deadline:
        async with at.session.get(at.admin + "/metrics") as resp:
            samples = parse_metrics(await resp.text())
        workers[samples["tokenhouse_sessions_created_created"]] = samples[
            "tokenhouse_sessions_created_total"
        ]
    return workers


async def test_two_workers_share_one_port_and_one_generated_key(
    redis: RedisProcess, store: RedisBackend, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """--workers 2: both workers answer, a token from either verifies on the other, rc 0."""
    server = ServiceProcess(tmp_path, redis.url, "--workers", "2").start()
    try:
        assert len(await scrape_workers(at := At(http, server))) == 2  # both are listening
        client = await make_client(store, secret=SECRET)
        user = await make_user(store, password="pw")
        results = []
        for _ in range(16):
            status, tokens = await login(at, client.client_id, user.email, "pw")
            results.append(
                (status, (await exchange(at, client.client_id, SECRET, tokens["access_token"]))[0])
            )
        workers = await scrape_workers(at)
    finally:
        rc = server.stop()

    assert results == [(200, 200)] * 16
    assert len(workers) == 2
    assert sum(workers.values()) == 16
    assert rc == 0


async def test_session_revoked_on_one_server_is_dead_on_the_other(
    pair: tuple[ServiceProcess, ServiceProcess], store: RedisBackend, http: aiohttp.ClientSession
) -> None:
    """Revocation through A: B refuses the refresh token and the access token at once."""
    a, b = At(http, pair[0]), At(http, pair[1])
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    status, tokens = await login(a, client.client_id, user.email, "pw")
    assert status == 200
    assert (await introspect(b, client.client_id, SECRET, tokens["access_token"]))[1][
        "active"
    ] is True

    assert await revoke(a, client.client_id, SECRET, tokens["refresh_token"]) == (200, {})

    assert await refresh(b, client.client_id, tokens["refresh_token"]) == (401, INVALID_GRANT)
    assert await introspect(b, client.client_id, SECRET, tokens["access_token"]) == (
        200,
        {"active": False},
    )
    assert await exchange(b, client.client_id, SECRET, tokens["access_token"]) == (
        401,
        INVALID_SUBJECT,
    )


async def test_refresh_rotated_on_one_server_continues_on_the_other(
    pair: tuple[ServiceProcess, ServiceProcess], store: RedisBackend, http: aiohttp.ClientSession
) -> None:
    """Rotation on A is seen by B: the new token works there, the old one gets the same new one."""
    a, b = At(http, pair[0]), At(http, pair[1])
    client = await make_client(store)
    user = await make_user(store, password="pw")
    first = (await login(a, client.client_id, user.email, "pw"))[1]

    status, second = await refresh(a, client.client_id, first["refresh_token"])
    again = await refresh(b, client.client_id, first["refresh_token"])
    status_third, third = await refresh(b, client.client_id, second["refresh_token"])

    assert status == 200
    assert again[0] == 200 and again[1]["refresh_token"] == second["refresh_token"]
    assert status_third == 200 and third["refresh_token"] not in (
        first["refresh_token"],
        second["refresh_token"],
    )


async def jwks_kids(at: At) -> set[str]:
    async with at.get("/.well-known/jwks.json") as resp:
        return {key["kid"] for key in (await resp.json())["keys"]}


async def test_signing_key_rotation_in_phases_across_two_servers(
    redis: RedisProcess, store: RedisBackend, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Publish, then sign with, then retire a key on both servers: no token breaks early."""
    old_pem, new_pem = generate_pem("ES256"), generate_pem("ES256")
    dirs = [tmp_path / "keys-a", tmp_path / "keys-b"]
    for d in dirs:
        d.mkdir()
        (d / "old.pem").write_bytes(old_pem)
    ports: list[int] = []

    def restart(servers: list[ServiceProcess], **env: str) -> list[ServiceProcess]:
        for s in servers:
            s.stop()
        fresh = [
            ServiceProcess(
                tmp_path,
                redis.url,
                port=ports[i] if ports else None,
                TOKENHOUSE_KEYS__DIR=str(dirs[i]),
                **env,
            )
            for i in range(2)
        ]
        start_all(*fresh)
        ports[:] = [s.port for s in fresh]
        return fresh

    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")

    async def active_on_both(token: str) -> list[bool]:
        return [
            (await introspect(At(http, s), client.client_id, SECRET, token))[1]["active"]
            for s in servers
        ]

    servers: list[ServiceProcess] = []
    try:
        servers = restart(servers)
        t0 = (await login(At(http, servers[0]), client.client_id, user.email, "pw"))[1][
            "access_token"
        ]

        # phase 1: the new key is published by both; the old one still signs
        for d in dirs:
            (d / "new.pem").write_bytes(new_pem)
        servers = restart(servers, TOKENHOUSE_KEYS__ACTIVE_KID="old")
        phase1_kids = [await jwks_kids(At(http, s)) for s in servers]
        t1 = (await login(At(http, servers[1]), client.client_id, user.email, "pw"))[1][
            "access_token"
        ]
        phase1_active = [await active_on_both(t0), await active_on_both(t1)]

        # phase 2: the new key signs on both; old tokens still verify
        servers = restart(servers, TOKENHOUSE_KEYS__ACTIVE_KID="new")
        t2 = (await login(At(http, servers[0]), client.client_id, user.email, "pw"))[1][
            "access_token"
        ]
        t2b = (await login(At(http, servers[1]), client.client_id, user.email, "pw"))[1][
            "access_token"
        ]
        phase2_active = [await active_on_both(t) for t in (t0, t1, t2, t2b)]

        # phase 3: the old key is removed: its tokens stop verifying, the new ones do not
        for d in dirs:
            (d / "old.pem").unlink()
        servers = restart(servers)
        phase3_kids = [await jwks_kids(At(http, s)) for s in servers]
        phase3_active = [await active_on_both(t) for t in (t0, t1, t2, t2b)]
    finally:
        codes = [s.stop() for s in servers]

    assert [kid_of(t) for t in (t0, t1, t2, t2b)] == ["old", "old", "new", "new"]
    assert phase1_kids == [{"old", "new"}, {"old", "new"}]
    assert phase1_active == [[True, True], [True, True]]
    assert phase2_active == [[True, True]] * 4
    assert phase3_kids == [{"new"}, {"new"}]
    assert phase3_active == [[False, False], [False, False], [True, True], [True, True]]
    assert codes == [0, 0]
