"""The script batcher on a real redis-server: the calls of one loop turn go as one pipeline,
it leaves one turn after the first call, each script answers its own caller, a NOSCRIPT is
loaded and sent again once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.store.redis import connect
from service.store.redis.batcher import ScriptBatcher

from ..conftest import make_settings

ECHO = "return {KEYS[1], ARGV[1]}"
INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    client = connect(make_settings(redis={"url": redis_url}).redis)
    for script in (ECHO, INCR):  # loaded: a first call is then one pipeline, not a NOSCRIPT retry
        await client.script_load(script)
    yield client
    await client.aclose()


class Spy(ScriptBatcher):
    """The batcher, recording the size of each pipeline it sends."""

    def __init__(self, redis: Any) -> None:
        super().__init__(redis, {"echo": redis.register_script(ECHO),
                                 "incr": redis.register_script(INCR)})  # fmt: skip
        self.pipelines: list[int] = []

    async def _pipeline(self, batch: list[Any]) -> list[Any]:
        self.pipelines.append(len(batch))
        return await super()._pipeline(batch)


async def test_the_calls_of_one_loop_turn_go_as_one_pipeline(redis):
    batcher = Spy(redis)
    futures = [batcher.call("echo", [f"k{n}"], [n]) for n in range(5)]

    replies = await asyncio.gather(*futures)

    assert batcher.pipelines == [5]
    assert replies == [[f"k{n}".encode(), str(n).encode()] for n in range(5)]


async def test_a_batch_leaves_one_loop_turn_after_its_first_call(redis):
    batcher = Spy(redis)
    future = batcher.call("echo", ["k"], ["v"])
    assert batcher.pipelines == []

    await asyncio.sleep(0)  # one turn

    assert batcher.pipelines == [1]
    assert await future == [b"k", b"v"]


async def test_calls_made_while_a_batch_is_on_its_way_go_in_the_next_one(redis):
    batcher = Spy(redis)
    first = batcher.call("incr", ["n"], [1])
    await asyncio.sleep(0)  # the first batch has left
    second = batcher.call("incr", ["n"], [10])

    assert sorted([await first, await second]) == [1, 11]
    assert len(batcher.pipelines) == 2


async def test_a_flushed_script_is_loaded_and_sent_again_once(redis):
    batcher = Spy(redis)
    assert await batcher.call("incr", ["n"], [2]) == 2
    await redis.script_flush()

    assert await batcher.call("incr", ["n"], [3]) == 5  # ran once: not 8
    assert batcher.pipelines[-2:] == [1, 1]  # NOSCRIPT, then the same call after the load


async def test_an_error_reply_reaches_only_its_own_caller(redis):
    batcher = Spy(redis)
    await redis.set("text", "not a number")
    good = batcher.call("incr", ["n"], [1])
    bad = batcher.call("incr", ["text"], [1])

    results = await asyncio.gather(good, bad, return_exceptions=True)

    assert results[0] == 1
    assert isinstance(results[1], Exception) and "not an integer" in str(results[1])
