"""Redis topology: a client for a single server, a Sentinel-managed master or a Cluster.

Every client has short timeouts and never retries a command by itself: a retried
state-changing script could run twice and look like refresh-token reuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.connection import HiredisRespSerializer
from redis.exceptions import RedisError
from redis.utils import HIREDIS_AVAILABLE

from ...settings import RedisSettings

SENTINEL_SCHEME = "redis+sentinel://"
SENTINEL_PORT = 26379


def connect(settings: RedisSettings, url: str | None = None) -> Any:
    """A redis-py asyncio client with short timeouts and no automatic retries."""
    url = url or settings.url
    common: dict[str, Any] = {
        "socket_timeout": settings.socket_timeout,
        "socket_connect_timeout": settings.connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        "retry_on_timeout": False,
        "health_check_interval": 0,
    }
    if settings.cluster:
        from redis.asyncio.cluster import RedisCluster

        # RedisCluster has no retry_on_timeout: its ``retry`` (none) covers timeouts too.
        common.pop("retry_on_timeout")
        return RedisCluster.from_url(url, **common)
    if url.startswith(SENTINEL_SCHEME):
        return _sentinel(url, common)
    client = aioredis.from_url(url, **common)
    pack_with_hiredis(client.connection_pool)
    return client


class _HiredisPacking:
    """Commands packed by hiredis, in C: redis-py's asyncio connections pack them in Python
    (what its synchronous ones do when hiredis is installed; the bytes are the same)."""

    _serializer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        return self._serializer.pack(*args)  # type: ignore[no-any-return]


def pack_with_hiredis(pool: Any) -> None:
    """Have the pool's new connections pack commands with hiredis (TCP, TLS or a Unix socket)."""
    base = pool.connection_class
    if HIREDIS_AVAILABLE and not issubclass(base, _HiredisPacking):
        pool.connection_class = type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})


def parse_sentinel_url(
    url: str,
) -> tuple[list[tuple[str, int]], str, int, tuple[str, str] | None]:
    """``redis+sentinel://[user:password@]host:port[,host:port]/service_name[/db]``:
    (sentinels, service name, db, (username, password) when given)."""
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    hosts = []
    for hostport in hostlist.split(","):
        host, sep, port = hostport.rpartition(":")
        hosts.append((host, int(port)) if sep else (hostport, SENTINEL_PORT))
    path = [p for p in parts.path.split("/") if p]
    service = path[0] if path else "mymaster"
    db = int(path[1]) if len(path) > 1 else 0
    if not userinfo:
        return hosts, service, db, None
    user, _, password = userinfo.partition(":")
    return hosts, service, db, (unquote(user), unquote(password))


def _sentinel(url: str, common: dict[str, Any]) -> Any:
    """The master of a Sentinel-managed service, re-resolved after a failover."""
    from redis.asyncio.sentinel import Sentinel

    hosts, service, db, credentials = parse_sentinel_url(url)
    if credentials is not None:  # of the data nodes (the sentinels are asked without)
        user, password = credentials
        common = {**common, "username": user or None, "password": password}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        hosts,
        socket_timeout=common["socket_timeout"],
        socket_connect_timeout=common["socket_connect_timeout"],
    )
    return sentinel.master_for(service, db=db, **common)


def is_cluster(redis: Any) -> bool:
    from redis.asyncio.cluster import RedisCluster

    return isinstance(redis, RedisCluster)


async def drop_idle_connections(redis: Any) -> None:
    """After a broken connection, close the idle ones too: after a Redis restart (or
    failover) each would otherwise fail one more request. In-use ones are left alone."""
    pool = getattr(redis, "connection_pool", None)
    if pool is None:
        return
    try:
        await pool.disconnect(inuse_connections=False)
    except (RedisError, OSError):
        pass


async def close(redis: Any) -> None:
    """Close the client and, for a Sentinel-managed one, its connections to the sentinels."""
    closer = getattr(redis, "aclose", None) or redis.close
    await closer()
    manager = getattr(getattr(redis, "connection_pool", None), "sentinel_manager", None)
    for sentinel in getattr(manager, "sentinels", ()):
        await sentinel.aclose()
