"""Failed-login counters in Redis, one per account or source address (shared by every pod)."""

from __future__ import annotations

from ..keys import Keys
from ..records import FailureCount
from .runner import Runner


class RedisLoginThrottle:
    """LoginThrottle on Redis: one counter key per account and per source, with the window's TTL."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    def _keys(self, username: str, source: str) -> list[str]:
        keys = [self.keys.failures_account(username)]
        if source:
            keys.append(self.keys.failures_source(source))
        return keys

    async def failures(self, username: str, source: str) -> list[FailureCount]:
        keys = self._keys(username, source)

        async def read() -> list[FailureCount]:
            pipe = self.runner.redis.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            raw = await pipe.execute()
            return [FailureCount(int(raw[i] or 0), int(raw[i + 1])) for i in range(0, len(raw), 2)]

        return await self.runner.run("throttle_read", read)

    async def record_failure(self, username: str, source: str, window: int) -> None:
        keys = self._keys(username, source)

        async def write() -> None:
            pipe = self.runner.redis.pipeline(transaction=False)
            for key in keys:
                # SET NX EX then INCR: the window starts at the first failure (Redis 6.2 has
                # no EXPIRE NX) and INCR keeps the TTL.
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
            await pipe.execute()

        await self.runner.run("throttle_write", write)

    async def clear_account(self, username: str) -> None:
        key = self.keys.failures_account(username)
        await self.runner.run("throttle_clear", lambda: self.runner.redis.delete(key))
