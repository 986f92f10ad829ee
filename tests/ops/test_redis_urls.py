"""connect(): which redis-py client each Redis URL and setting gives (no server needed)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import SentinelConnectionPool

from service.store.redis import connect

from ..conftest import make_settings


def sentinel_hosts(client: Redis) -> list[tuple[str, int]]:
    manager = client.connection_pool.sentinel_manager
    return [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in manager.sentinels
    ]


async def test_sentinel_url_with_several_sentinels_service_and_db() -> None:
    """redis+sentinel://h1:p1,h2/service/db: every sentinel (default port 26379), the db."""
    url = "redis+sentinel://10.0.0.1:26380,sentinel-b/tokens/3"
    client = connect(make_settings(redis={"url": url}).redis)
    try:
        pool = client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert pool.service_name == "tokens"
        assert pool.is_master is True
        assert pool.connection_kwargs["db"] == 3
        assert sentinel_hosts(client) == [("10.0.0.1", 26380), ("sentinel-b", 26379)]
    finally:
        await client.aclose()


async def test_sentinel_url_credentials_go_to_the_data_nodes() -> None:
    """user:password in a sentinel URL authenticate against the master, percent-decoded."""
    url = "redis+sentinel://app:p%40ss@127.0.0.1:26379/tokens"
    client = connect(make_settings(redis={"url": url}).redis)
    try:
        kwargs = client.connection_pool.connection_kwargs
        assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("app", "p@ss", 0)
        assert client.connection_pool.service_name == "tokens"
    finally:
        await client.aclose()


async def test_cluster_setting_gives_a_cluster_client_without_retries() -> None:
    """redis.cluster = true: a RedisCluster whose retry policy never retries a command."""
    client = connect(
        make_settings(redis={"url": "redis://127.0.0.1:7000/0", "cluster": True}).redis
    )
    try:
        assert isinstance(client, RedisCluster)
        assert client.retry.get_retries() == 0
    finally:
        await client.aclose()
