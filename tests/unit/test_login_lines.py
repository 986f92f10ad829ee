"""The per-process waiting lines of login attempts: first come, first served, bounded."""

from __future__ import annotations

import asyncio

from service.store.records import LoginCounter
from service.throttling.lines import WaitingLines

ACCOUNT = LoginCounter.account("a@example.com")


async def test_only_the_head_is_woken_when_an_attempt_ends():
    """notify() wakes the first in line; the second waits for its turn."""
    lines = WaitingLines(poll=10)
    first, second = lines.join(ACCOUNT), lines.join(ACCOUNT)
    deadline = asyncio.get_running_loop().time() + 5
    waiting = [asyncio.create_task(lines.turn(t, deadline)) for t in (first, second)]
    await asyncio.sleep(0.01)

    lines.notify(ACCOUNT)
    await asyncio.sleep(0.01)

    assert [t.done() for t in waiting] == [True, False]
    lines.leave(first)  # admitted: the next one's turn at once
    await asyncio.wait_for(waiting[1], 1)
    lines.leave(second)
    assert not lines.waiting(ACCOUNT)


async def test_the_head_asks_again_every_poll_interval():
    """Attempts that end in other processes are seen by polling: the head returns after poll s."""
    lines = WaitingLines(poll=0.05)
    ticket = lines.join(ACCOUNT)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await lines.turn(ticket, started + 5)

    assert 0.04 <= loop.time() - started < 1
    lines.leave(ticket)


async def test_a_wait_never_passes_its_deadline():
    """Behind a head that never leaves, a waiter returns at its deadline."""
    lines = WaitingLines(poll=10)
    lines.join(ACCOUNT)
    behind = lines.join(ACCOUNT)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await lines.turn(behind, started + 0.1)

    assert 0.09 <= loop.time() - started < 1


async def test_a_cancelled_waiter_leaving_gives_the_turn_to_the_next():
    """The head leaving (its client went away) wakes the one behind it."""
    lines = WaitingLines(poll=10)
    head, behind = lines.join(ACCOUNT), lines.join(ACCOUNT)
    waiting = asyncio.create_task(lines.turn(behind, asyncio.get_running_loop().time() + 5))
    await asyncio.sleep(0.01)

    lines.leave(head)

    await asyncio.wait_for(waiting, 1)
    lines.leave(behind)
    lines.leave(behind)  # leaving twice is harmless
    assert not lines.waiting(ACCOUNT)
