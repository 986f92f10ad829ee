"""Changes to a user record together with the keys that find the user (e-mail, identities).

A change is a ``Plan``: keys to claim for the user, keys to give back, fields the record must
hold (guards), fields to set or delete. On one Redis server (or Sentinel) a plan is one Lua
step (``user_directory.lua``): all of it or nothing. On a Redis Cluster those keys live in
different slots, so the plan runs as ordered single-slot steps: the record first, then each
claim by compare-and-set (undoing what was done when a claim is refused), then the keys given
back. A claim whose holder's record is gone (a deletion cut short, or a user deleted by hand)
is taken over.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..keys import Keys
from .connection import is_cluster
from .runner import Runner, text

MAX_TAKEOVERS = 3


@dataclass(frozen=True)
class Plan:
    user_id: str
    create: bool  # the record must not exist yet (else: it must exist)
    claims: tuple[str, ...] = ()
    releases: tuple[str, ...] = ()
    guards: dict[str, str] = field(default_factory=dict)  # field -> value ('' = absent)
    sets: dict[str, Any] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()  # per claim: a gone user's id the key may still name

    def inverse(self) -> Plan:
        """The update that undoes this one (every changed field must be guarded)."""
        return Plan(
            self.user_id,
            create=False,
            guards={**{k: str(v) for k, v in self.sets.items()}, **dict.fromkeys(self.deletes, "")},
            sets={k: v for k, v in self.guards.items() if v},
            deletes=tuple(k for k, v in self.guards.items() if not v),
        )


@dataclass(frozen=True)
class Outcome:
    """0 done, -1 record exists (create) or is missing, -2 guard failed, i > 0 claim i held."""

    code: int
    holder: str = ""


class Directory:
    """Runs plans on the user records of one Redis (or Cluster)."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys
        self.stepwise = is_cluster(runner.redis)

    async def apply(self, plan: Plan) -> Outcome:
        """Run the plan; a claim held by a user whose record is gone is taken over."""
        stale = list(plan.stale or ("",) * len(plan.claims))
        for _ in range(MAX_TAKEOVERS):
            plan = replace(plan, stale=tuple(stale))
            outcome = await (self._steps(plan) if self.stepwise else self._script(plan))
            if outcome.code <= 0 or not await self._gone(outcome.holder):
                return outcome
            stale[outcome.code - 1] = outcome.holder
        return outcome

    async def _gone(self, user_id: str) -> bool:
        key = self.keys.user(user_id)
        return not await self.runner.run("get_user", lambda: self.runner.redis.exists(key))

    async def _script(self, plan: Plan) -> Outcome:
        keys = [self.keys.user(plan.user_id), *plan.claims, *plan.releases]
        args: list[Any] = [
            plan.user_id,
            "create" if plan.create else "update",
            len(plan.claims),
            len(plan.releases),
            len(plan.guards),
            len(plan.deletes),
            *(plan.stale or ("",) * len(plan.claims)),
            *(word for pair in plan.guards.items() for word in pair),
            *plan.deletes,
            *(word for pair in plan.sets.items() for word in pair),
        ]
        reply = await self.runner.script("user_directory", keys, args)
        return Outcome(int(reply[0]), text(reply[1]) if len(reply) > 1 else "")

    async def _steps(self, plan: Plan) -> Outcome:
        record = replace(plan, claims=(), releases=(), stale=())
        outcome = await self._script(record)
        if outcome.code != 0:
            return outcome
        taken: list[tuple[str, str]] = []
        for index, (key, stale) in enumerate(zip(plan.claims, plan.stale, strict=True), 1):
            holder = await self._holder(key)
            if holder == plan.user_id:
                continue
            if holder in ("", stale) and await self._swap(key, holder, plan.user_id):
                taken.append((key, holder))
                continue
            for done, before in reversed(taken):
                await self._swap(done, plan.user_id, before)
            await self._undo(plan)
            return Outcome(index, await self._holder(key) or holder)
        for key in plan.releases:
            await self._swap(key, plan.user_id, "")
        return outcome

    async def _undo(self, plan: Plan) -> None:
        if plan.create:
            key = self.keys.user(plan.user_id)
            await self.runner.run("delete_user", lambda: self.runner.redis.delete(key))
        else:
            await self._script(plan.inverse())

    async def _holder(self, key: str) -> str:
        raw = await self.runner.run("get_user_id", lambda: self.runner.redis.get(key))
        return text(raw) if raw else ""

    async def _swap(self, key: str, expected: str, new: str) -> bool:
        return bool(await self.runner.script("swap_value", [key], [expected, new]))
