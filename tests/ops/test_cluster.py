"""Redis Cluster (three masters): every flow runs through the app with no CROSSSLOT error.

Sessions, session indexes and revocation markers of one owner share a hash tag, so each Lua
script touches one slot; the scripts are loaded per node on NOSCRIPT by redis-py's
AsyncScript; client and user listings scan every master.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from service.api.appkeys import ADMIN
from service.app import create_app
from service.oauth.tokens import RefreshToken

from ..admin_api import call
from ..conftest import make_settings
from ..factories import make_client, make_user, store_of
from ..flows import (
    INVALID_GRANT,
    INVALID_SUBJECT,
    anonymous,
    exchange,
    introspect,
    login,
    refresh,
    revoke,
)
from ..listeners import admin_of, serve_both
from .procs import RedisCluster
from .prom import metric_sum, parse_metrics

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "cluster-secret"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """One three-master cluster for the module."""
    nodes = RedisCluster(Path(tmp_path_factory.mktemp("cluster"))).start()
    yield nodes
    nodes.stop()


@pytest.fixture
async def raw(cluster: RedisCluster) -> AsyncIterator[AsyncRedisCluster]:
    """An operator's own cluster connection, flushed before the test."""
    conn = AsyncRedisCluster.from_url(cluster.url)
    await conn.flushall(target_nodes=AsyncRedisCluster.PRIMARIES)
    yield conn
    await conn.aclose()


@pytest.fixture
async def http(
    aiohttp_client: Any, cluster: RedisCluster, raw: Any, signing_key: Any
) -> TestClient:
    settings = make_settings(
        redis={"url": cluster.url, "cluster": True}, tokens={"refresh_grace": 0}
    )
    return await serve_both(aiohttp_client, create_app(settings, signing=signing_key))


async def no_redis_errors(http: TestClient) -> float:
    resp = await admin_of(http).get("/metrics")
    return metric_sum(parse_metrics(await resp.text()), "tokenhouse_redis_errors_total")


async def test_login_refresh_introspect_and_revoke_on_a_cluster(http: TestClient) -> None:
    """Password, refresh (with reuse detection), introspection and revocation all work."""
    store = store_of(http)
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")

    status, first = await login(http, client.client_id, user.email, "pw")
    assert status == 200
    status, second = await refresh(http, client.client_id, first["refresh_token"])
    assert status == 200
    assert (await introspect(http, client.client_id, SECRET, second["access_token"]))[1][
        "active"
    ] is True
    assert (await introspect(http, client.client_id, SECRET, second["refresh_token"]))[1][
        "active"
    ] is True
    status, exchanged = await exchange(http, client.client_id, SECRET, second["access_token"])
    assert status == 200
    assert await revoke(http, client.client_id, SECRET, second["refresh_token"]) == (200, {})

    assert await refresh(http, client.client_id, second["refresh_token"]) == (401, INVALID_GRANT)
    assert await introspect(http, client.client_id, SECRET, second["access_token"]) == (
        200,
        {"active": False},
    )
    assert await no_redis_errors(http) == 0


async def test_reused_refresh_token_revokes_the_session_on_a_cluster(http: TestClient) -> None:
    """A rotated token presented again (grace 0) ends the session, as on a single server."""
    store = store_of(http)
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    first = (await login(http, client.client_id, user.email, "pw"))[1]
    second = (await refresh(http, client.client_id, first["refresh_token"]))[1]

    assert await refresh(http, client.client_id, first["refresh_token"]) == (401, INVALID_GRANT)
    assert await refresh(http, client.client_id, second["refresh_token"]) == (401, INVALID_GRANT)
    assert await no_redis_errors(http) == 0


async def test_deleting_session_keys_ends_sessions_on_a_cluster(http: TestClient, raw: Any) -> None:
    """The runbook's key deletions (one session, then all of an owner's) take effect at once."""
    store = store_of(http)
    client = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    one = (await login(http, client.client_id, user.email, "pw"))[1]
    other = (await login(http, client.client_id, user.email, "pw"))[1]
    third = (await login(http, client.client_id, user.email, "pw"))[1]
    owner, sid = (
        RefreshToken.parse(one["refresh_token"]).owner,
        RefreshToken.parse(one["refresh_token"]).sid,
    )

    assert await raw.delete(store.keys.session(owner, sid)) == 1
    assert await refresh(http, client.client_id, one["refresh_token"]) == (401, INVALID_GRANT)
    assert await exchange(http, client.client_id, SECRET, one["access_token"]) == (
        401,
        INVALID_SUBJECT,
    )
    assert (await refresh(http, client.client_id, other["refresh_token"]))[0] == 200

    assert await raw.delete(store.keys.index(owner)) == 1
    assert await refresh(http, client.client_id, third["refresh_token"]) == (401, INVALID_GRANT)
    assert await introspect(http, client.client_id, SECRET, third["access_token"]) == (
        200,
        {"active": False},
    )
    assert await no_redis_errors(http) == 0


async def test_listing_scans_every_master_and_delete_user_spans_slots(
    http: TestClient, raw: Any
) -> None:
    """Apps and users spread over the masters are all listed; deleting a user clears its keys."""
    store = store_of(http)
    clients = [await make_client(store, client_id=f"app-{i:02d}") for i in range(12)]
    users = [await make_user(store) for _ in range(6)]
    sizes = [await raw.dbsize(target_nodes=node) for node in raw.get_primaries()]

    listed_clients = [c.client_id for c in await store.clients.list()]
    listed_users = {u.user_id for u in await store.users.list()}
    await store.users.delete(users[0])

    assert sum(1 for size in sizes if size > 0) >= 2
    assert listed_clients == sorted(c.client_id for c in clients)
    assert listed_users == {u.user_id for u in users}
    assert await store.users.get(users[0].user_id) is None
    assert await store.users.find_id(users[0].email) is None
    assert await no_redis_errors(http) == 0


async def test_the_admin_api_manages_users_across_slots(http: TestClient) -> None:
    """Through the admin listener: a user created with an identity, found, moved to another
    e-mail, relinked and deleted, with its e-mail and identity keys in other slots."""
    admin = admin_of(http)
    token = (await admin.server.app[ADMIN].admin_tokens.create("cluster")).token
    idp = {"id": "corp", "kind": "oidc", "issuer": "https://sso.example.com", "client_ids": ["a"]}
    assert (await call(admin, "POST", "/admin/v1/idps", token, idp))[0] == 201
    body = {"email": "c@example.com", "identities": [{"idp_id": "corp", "sub": "1"}]}

    status, user, _ = await call(admin, "POST", "/admin/v1/users", token, body)
    taken = await call(admin, "POST", "/admin/v1/users", token, {"email": "C@example.com"})
    path = f"/admin/v1/users/{user['id']}"
    moved = await call(admin, "PATCH", path, token, {"email": "d@example.com"})
    relinked = await call(admin, "PUT", f"{path}/identities/corp", token, {"sub": "2"})
    found = await store_of(http).users.find_by_identity("corp", "2")
    deleted = await call(admin, "DELETE", path, token)
    again = await call(admin, "POST", "/admin/v1/users", token, body)

    assert status == 201 and taken[0] == 409
    assert moved[1]["email"] == "d@example.com" and relinked[0] == 200
    assert found is not None and found.user_id == user["id"]
    assert deleted[0] == 204 and again[0] == 201
    assert await store_of(http).users.find_id("d@example.com") is None
    assert await no_redis_errors(http) == 0


async def test_failed_logins_and_anonymous_tokens_on_a_cluster(http: TestClient) -> None:
    """Throttle counters (keys in two slots, one script each) and anonymous tokens work."""
    store = store_of(http)
    client = await make_client(store)
    user = await make_user(store, password="pw")

    status, body = await login(http, client.client_id, user.email, "wrong")
    counts = [
        int(await store.redis.get(key))
        for key in (
            store.keys.failures_account(user.email),
            store.keys.failures_source("127.0.0.1"),
        )
    ]

    assert (status, body) == (
        401,
        {**INVALID_GRANT, "error_description": "Invalid username or password."},
    )
    assert counts == [1, 1]
    assert (await anonymous(http, client.client_id))[0] == 200
    assert await no_redis_errors(http) == 0
