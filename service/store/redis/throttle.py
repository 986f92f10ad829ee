"""Login-attempt counters in Redis, one per account or source (shared by every pod).

Each counter is a single key in its own Cluster slot, counted and forgiven by a single-key
Lua step, so a count and its window are always set together.
"""

from __future__ import annotations

from ..keys import Keys
from ..records import AtLimit, AttemptResult, Counted, CounterKind, LoginCounter
from .runner import Runner


class RedisLoginThrottle:
    """LoginThrottle on Redis: ``fail:acct:<digest>`` and ``fail:src:<source>`` keys."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    def _key(self, counter: LoginCounter) -> str:
        if counter.kind is CounterKind.ACCOUNT:
            return self.keys.failures_account(counter.name)
        return self.keys.failures_source(counter.name)

    async def count(self, counter: LoginCounter, *, limit: int, window: int) -> AttemptResult:
        reply = await self.runner.script("count_attempt", [self._key(counter)], [limit, window])
        if int(reply[0]) == 1:
            return Counted(int(reply[1]))
        return AtLimit(int(reply[1]))

    async def forgive(self, counter: LoginCounter, *, everything: bool = False) -> None:
        args = ["all" if everything else "one"]
        await self.runner.script("forgive_attempt", [self._key(counter)], args)
