"""Running one store operation on Redis: a deadline, the observer told, RedisError turned into
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

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ...errors import StoreUnavailable
from ..protocols import StoreObserver
from .batcher import ScriptBatcher
from .connection import drop_idle_connections, is_cluster

T = TypeVar("T")

SCRIPTS = (
    "create_session",
    "refresh_session",
    "revoke_session",
    "check_session",
    "inspect_refresh",
    "create_client",
)


def lua(name: str) -> str:
    return resources.files("service.store").joinpath(f"lua/{name}.lua").read_text("utf-8")


def text(value: Any) -> str:
    """A Redis reply value as text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


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
        self._batcher = None if is_cluster(redis) else ScriptBatcher(redis, self.scripts)

    async def run(self, op: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` within the deadline; any Redis failure becomes StoreUnavailable."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):
                result = await call()
        except (RedisError, OSError, TimeoutError) as exc:
            if self.observer is not None:
                self.observer.store_error(op)
            if isinstance(exc, (RedisConnectionError, OSError)):
                await drop_idle_connections(self.redis)
            raise StoreUnavailable(f"{op}: {type(exc).__name__}") from exc
        if self.observer is not None:
            self.observer.store_latency(op, time.perf_counter() - started)
        return result

    async def script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run the Lua script ``name`` (its name is the operation's name)."""
        if self._batcher is not None:
            batcher = self._batcher
            return await self.run(name, lambda: batcher.call(name, keys, args))
        return await self.run(name, lambda: self.scripts[name](keys=keys, args=args))
