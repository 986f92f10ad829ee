"""Waiting lines of login attempts that only attempts still in flight hold back, per process.

When a login counter is at its limit only because attempts of it are still being checked,
the new attempt waits for them instead of being refused: their outcome decides (a success
clears the account's counter, a failure keeps it). Here it waits in a first-come-first-served
line per counter. The head of a line asks the store again whenever an attempt of that counter
ends in this process, and every ``poll`` seconds for those that end in other processes; the
others wait for their turn. Every wait is bounded by the caller's deadline.
"""

from __future__ import annotations

import asyncio
from collections import deque

from ..store.records import LoginCounter

POLL_SECONDS = 0.05


class Ticket:
    """One attempt's place in the line of ``counter``."""

    __slots__ = ("counter", "wake")

    def __init__(self, counter: LoginCounter) -> None:
        self.counter = counter
        self.wake = asyncio.Event()


class WaitingLines:
    """The lines of this process, one per counter that has attempts waiting."""

    def __init__(self, poll: float = POLL_SECONDS) -> None:
        self.poll = poll
        self._lines: dict[LoginCounter, deque[Ticket]] = {}

    def waiting(self, counter: LoginCounter) -> bool:
        """Attempts of this counter are waiting here (a newcomer queues behind them)."""
        return counter in self._lines

    def join(self, counter: LoginCounter) -> Ticket:
        ticket = Ticket(counter)
        self._lines.setdefault(counter, deque()).append(ticket)
        return ticket

    def leave(self, ticket: Ticket) -> None:
        """Out of the line (admitted, refused, timed out or cancelled): the next one's turn."""
        line = self._lines.get(ticket.counter)
        if line is None:
            return
        head = line[0] is ticket
        try:
            line.remove(ticket)
        except ValueError:
            return
        if not line:
            del self._lines[ticket.counter]
        elif head:
            line[0].wake.set()

    def notify(self, counter: LoginCounter) -> None:
        """An attempt of ``counter`` ended here: the head of its line asks again at once."""
        line = self._lines.get(counter)
        if line:
            line[0].wake.set()

    def _head(self, ticket: Ticket) -> bool:
        line = self._lines.get(ticket.counter)
        return line is not None and line[0] is ticket

    async def turn(self, ticket: Ticket, deadline: float) -> None:
        """Return when it is worth asking again: at the head of the line, after an attempt
        ended (or ``poll`` seconds); at the latest at ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return
            head = self._head(ticket)
            try:
                async with asyncio.timeout(min(self.poll, left) if head else left):
                    await ticket.wake.wait()
            except TimeoutError:
                if head:
                    return
                continue
            finally:
                ticket.wake.clear()
            if self._head(ticket):
                return
