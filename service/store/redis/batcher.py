"""The script batcher: the Lua calls of one event-loop turn go to Redis as one pipeline."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.exceptions import NoScriptError, RedisError


class ScriptBatcher:
    """Coalesce the script calls made in one event-loop turn into one pipeline.

    Under concurrent load many requests reach their one Redis step in the same turn; sending
    their EVALSHAs together costs one write and one read instead of one of each per request,
    on both sides. Each script still runs atomically on its own, in order. Nothing is retried
    after it may have run: only a NOSCRIPT reply (the script did not run) is loaded and sent
    again, once. The whole exchange of a pipeline, a reload included, must end within
    ``deadline`` seconds, or every waiter gets TimeoutError.
    """

    def __init__(self, redis: Any, scripts: dict[str, Any], deadline: float = 2.0) -> None:
        self.redis = redis
        self.scripts = scripts
        self.deadline = deadline
        self._pending: list[tuple[str, list[Any], asyncio.Future[Any]]] = []

    def call(self, name: str, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            # The task's first step runs in the next loop turn and takes every call made
            # until then: the batch leaves one turn after its first call.
            task = loop.create_task(self._send())
            task.add_done_callback(_ignore_result)
        self._pending.append((name, [len(keys), *keys, *args], future))
        return future

    async def _send(self) -> None:
        batch, self._pending = self._pending, []
        try:
            async with asyncio.timeout(self.deadline):
                replies = await self._exchange(batch)
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the failure
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(
                        exc if isinstance(exc, Exception) else RedisError(repr(exc))
                    )
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its request gave up waiting
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _exchange(self, batch: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> list[Any]:
        replies = await self._pipeline(batch)
        missing = [
            (item, i) for i, item in enumerate(batch) if isinstance(replies[i], NoScriptError)
        ]
        if missing:  # e.g. after SCRIPT FLUSH or a restart: these did not run
            for name in {item[0] for item, _ in missing}:
                await self.redis.script_load(self.scripts[name].script)
            again = await self._pipeline([item for item, _ in missing])
            for (_, i), reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, batch: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> list[Any]:
        pipe = self.redis.pipeline(transaction=False)
        for name, words, _ in batch:
            pipe.execute_command("EVALSHA", self.scripts[name].sha, *words)
        return list(await pipe.execute(raise_on_error=False))


def _ignore_result(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: the waiters already have it
