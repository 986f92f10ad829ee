"""Login-attempt counters in Redis, one per account or source (shared by every pod).

Each counter is a single key counted and forgiven by a Lua step; the attempts of a counter
still in flight live in a second key whose hash tag is the counter's whole key, so both are
in one Cluster slot and one step reads and writes them together.
"""

from __future__ import annotations

from ..keys import Keys
from ..records import (
    AtLimit,
    AttemptEnd,
    AttemptResult,
    Counted,
    CounterKind,
    InFlight,
    LoginCounter,
)
from .runner import Runner

# Seconds an in-flight count outlives the last attempt counted into it: a worker that dies
# mid-attempt leaves a count that makes others wait (bounded), never one that lasts.
IN_FLIGHT_TTL = 60
_END = {AttemptEnd.SUCCEEDED: "all", AttemptEnd.GIVEN_BACK: "one", AttemptEnd.FAILED: "failed"}


class RedisLoginThrottle:
    """LoginThrottle on Redis: ``fail:acct:<digest>`` and ``fail:src:<source>`` keys, and
    ``busy:{<counter key>}`` for their attempts in flight."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    def _key(self, counter: LoginCounter) -> str:
        if counter.kind is CounterKind.ACCOUNT:
            return self.keys.failures_account(counter.name)
        return self.keys.failures_source(counter.name)

    def _pair(self, counter: LoginCounter) -> list[str]:
        key = self._key(counter)
        return [key, self.keys.in_flight(key)]

    async def count(self, counter: LoginCounter, *, limit: int, window: int) -> AttemptResult:
        reply = await self.runner.script("count_attempt", [self._key(counter)], [limit, window])
        if int(reply[0]) == 1:
            return Counted(int(reply[1]))
        return AtLimit(int(reply[1]))

    async def forgive(self, counter: LoginCounter, *, everything: bool = False) -> None:
        args = ["all" if everything else "one"]
        await self.runner.script("forgive_attempt", [self._key(counter)], args)

    async def begin(self, counter: LoginCounter, *, limit: int, window: int) -> AttemptResult:
        args = [limit, window, IN_FLIGHT_TTL]
        reply = await self.runner.script("count_attempt", self._pair(counter), args)
        code = int(reply[0])
        if code == 1:
            return Counted(int(reply[1]))
        if code == 2:
            return InFlight(int(reply[1]))
        return AtLimit(int(reply[1]))

    async def end(self, counter: LoginCounter, outcome: AttemptEnd) -> None:
        await self.runner.script("forgive_attempt", self._pair(counter), [_END[outcome]])
