"""Operators and their browser sessions in Redis, every key under the ``{operators}`` hash tag.

An operator is a hash with an e-mail entry beside it, created and deleted together by one Lua
step each. A session is a short-lived hash naming the operator and the operator's session
generation; it counts only while the operator exists, is not disabled and still has that
generation.
"""

from __future__ import annotations

import time
from typing import Any

from ...models import Operator
from ..keys import Keys
from .runner import Runner, text


def _operator(operator_id: str, raw: dict[str, str]) -> Operator:
    return Operator(
        operator_id=operator_id,
        email=raw.get("email", ""),
        password_hash=raw.get("pw", ""),
        disabled=raw.get("disabled", "0") == "1",
        created=int(raw.get("created", "0") or 0),
    )


def _fields(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {text(k): text(v) for k, v in raw.items()}
    words = [text(w) for w in raw]
    return dict(zip(words[::2], words[1::2], strict=True))


class RedisOperators:
    """OperatorStore on Redis: ``operator:{operators}:<id>`` and ``operator-email:...``."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def create(self, operator: Operator) -> bool:
        fields = {
            "email": operator.email,
            "pw": operator.password_hash,
            "disabled": "1" if operator.disabled else "0",
            "gen": "0",
            "created": operator.created or int(time.time()),
        }
        keys = [self.keys.operator(operator.operator_id), self.keys.operator_email(operator.email)]
        args: list[Any] = [operator.operator_id, *[w for pair in fields.items() for w in pair]]
        return bool(await self.runner.script("create_operator", keys, args))

    async def get(self, operator_id: str) -> Operator | None:
        key = self.keys.operator(operator_id)
        raw = await self.runner.run("get_operator", lambda: self.runner.redis.hgetall(key))
        return _operator(operator_id, _fields(raw)) if raw else None

    async def find(self, email: str) -> Operator | None:
        key = self.keys.operator_email(email)
        found = await self.runner.run("find_operator", lambda: self.runner.redis.get(key))
        return await self.get(text(found)) if found else None

    async def set_disabled(self, operator_id: str, disabled: bool) -> bool:
        keys = [self.keys.operator(operator_id)]
        args = ["1" if disabled else "0"]
        return bool(await self.runner.script("set_operator_disabled", keys, args))

    async def delete(self, operator: Operator) -> bool:
        keys = [self.keys.operator(operator.operator_id), self.keys.operator_email(operator.email)]
        return bool(await self.runner.script("delete_operator", keys, [operator.operator_id]))

    async def list(self) -> list[Operator]:
        ids: list[str] = []
        prefix_len = len(self.keys.operator(""))

        async def scan() -> None:
            pattern = self.keys.operator_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(text(key)[prefix_len:])

        await self.runner.run("list_operators", scan)
        found = [await self.get(i) for i in sorted(set(ids))]
        return sorted((o for o in found if o is not None), key=lambda o: o.email)


class RedisOperatorSessions:
    """OperatorSessionStore on Redis: ``operator-session:{operators}:<digest>`` hashes."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def start(self, digest: str, operator_id: str, ttl_ms: int) -> bool:
        keys = [self.keys.operator_session(digest), self.keys.operator(operator_id)]
        args: list[Any] = [operator_id, ttl_ms]
        return bool(await self.runner.script("start_operator_session", keys, args))

    async def operator(self, digest: str) -> Operator | None:
        key = self.keys.operator_session(digest)
        named = await self.runner.run(
            "get_operator_session", lambda: self.runner.redis.hget(key, "op")
        )
        if not named:
            return None
        operator_id = text(named)
        keys = [key, self.keys.operator(operator_id)]
        reply = await self.runner.script("check_operator_session", keys, [operator_id])
        if not reply or int(reply[0]) != 1:
            return None
        return _operator(operator_id, _fields(reply[1:]))

    async def end(self, digest: str) -> None:
        key = self.keys.operator_session(digest)
        await self.runner.run("end_operator_session", lambda: self.runner.redis.delete(key))
