"""Running one store operation on Redis: a deadline, the observer told, any failure turned into
StoreUnavailable.

Lua scripts are read from ``service/store/lua/`` and registered once; outside a Cluster they
go through the batcher (one pipeline per event-loop turn).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError

from ...errors import StoreUnavailable
from ..protocols import StoreObserver
from .batcher import ScriptBatcher
from .connection import drop_idle_connections, is_cluster

T = TypeVar("T")
log = structlog.get_logger("tokenhouse.store")

# How a store call fails when Redis does. redis-py's Cluster client raises RedisClusterException
# (and SlotNotCoveredError, a subclass) when nodes are lost or unreachable: neither is a
# RedisError.
STORE_ERRORS = (RedisError, RedisClusterException, OSError, TimeoutError)

SCRIPTS = (
    "create_session",
    "refresh_session",
    "revoke_session",
    "check_session",
    "inspect_refresh",
    "count_attempt",
    "forgive_attempt",
    "end_sessions",
    "delete_user",
    "hash_create",
    "hash_update",
    "rehash_password",
    "swap_value",
    "delete_client",
    "update_client",
    "user_directory",
    "save_login_code",
    "consume_login_code",
    "create_operator",
    "delete_operator",
    "set_operator_disabled",
    "start_operator_session",
    "check_operator_session",
)


def lua(name: str) -> str:
    return resources.files("service.store").joinpath(f"lua/{name}.lua").read_text("utf-8")


def text(value: Any) -> str:
    """A Redis reply value as text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def fields_of(raw: Any) -> dict[str, str]:
    """An HGETALL reply as text."""
    return {text(k): text(v) for k, v in raw.items()}


def pairs(fields: dict[str, Any]) -> list[Any]:
    """A mapping as the field, value words a hash script takes."""
    return [word for pair in fields.items() for word in pair]


class Runner:
    """Runs the operations of every Redis store module on one client."""

    def __init__(
        self, redis: Any, *, deadline: float = 2.0, observer: StoreObserver | None = None
    ) -> None:
        self.redis = redis
        self.deadline = deadline
        self.observer = observer
        self.scripts = {name: redis.register_script(lua(name)) for name in SCRIPTS}
        # Cluster pipelines split by node and slot: there each script is sent on its own.
        self._batcher = None if is_cluster(redis) else ScriptBatcher(redis, self.scripts, deadline)

    async def run(self, op: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` within the deadline; any Redis failure becomes StoreUnavailable."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):
                result = await call()
        except Exception as exc:  # noqa: BLE001 - every failure of a store call is a 503
            raise await self._failed(op, exc) from exc
        if self.observer is not None:
            self.observer.store_latency(op, time.perf_counter() - started)
        return result

    async def _failed(self, op: str, exc: Exception) -> StoreUnavailable:
        """Tell the observer, drop broken connections; the StoreUnavailable to raise."""
        if not isinstance(exc, STORE_ERRORS):
            # e.g. redis-py's Cluster client writing on a connection that another request
            # is resetting after a node stalled (RuntimeError, AttributeError): the client
            # drops that connection and the next call reconnects. Logged in full: it may
            # also be a defect of ours.
            log.warning("store.unexpected_error", op=op, exc_info=exc)
        if self.observer is not None:
            self.observer.store_error(op)
        if isinstance(exc, (RedisConnectionError, OSError)):
            await drop_idle_connections(self.redis)
        return StoreUnavailable(f"{op}: {type(exc).__name__}")

    async def script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run the Lua script ``name`` (its name is the operation's name)."""
        if self._batcher is None:
            return await self.run(name, lambda: self.scripts[name](keys=keys, args=args))
        # The batcher holds the deadline, once per pipeline rather than a timer per call.
        started = time.perf_counter()
        try:
            result = await self._batcher.call(name, keys, args)
        except Exception as exc:  # noqa: BLE001 - every failure of a store call is a 503
            raise await self._failed(name, exc) from exc
        if self.observer is not None:
            self.observer.store_latency(name, time.perf_counter() - started)
        return result
