"""Login throttling: every sign-in attempt is counted, per account as per source, before argon2.

Each attempt is counted atomically by the store (one counter at a time: the account's and the
source's live in different Cluster slots) before the password is checked, so parallel attempts,
on any number of workers and pods, cannot pass the limit. A success clears the account's
counter and gives the source back that one attempt. Counters exist for any name, known or not,
so the answers do not tell which accounts exist. The password grant and the operators' sign-in
share this policy (and the source counters); an operator's account is counted under its own
name (``loginas.operators.throttle_name``).

An attempt over a limit only because attempts of that counter are still in flight waits for
them (``throttle.busy_wait`` seconds at most, in line: ``lines.py``) instead of being refused,
because their outcome decides: a burst of right passwords for one account all get in, one
after another, while wrong ones still get at most the limit of answers other than 429. An
attempt whose client left before the answer is given back.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import Any

from ..settings import ThrottleSettings
from ..store.protocols import LoginThrottle
from ..store.records import AtLimit, AttemptEnd, Counted, InFlight, LoginCounter
from .lines import Ticket, WaitingLines

_ENDING: set[asyncio.Future[None]] = set()  # attempts ended after their request was cancelled


def source_bucket(source: str) -> str:
    """What one source is: an IPv4 address, or the /64 of an IPv6 address (a single host
    usually holds a whole /64, so counting single addresses would be no limit at all)."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return source
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class Attempt:
    """A counted login attempt, in flight: the account's counter, and the source's when known."""

    account: LoginCounter
    source: LoginCounter | None

    @property
    def counters(self) -> list[LoginCounter]:
        return [self.account] if self.source is None else [self.account, self.source]


@dataclass(frozen=True)
class Throttled:
    """Refused before counting: a counter is at its limit for ``retry_after`` more seconds."""

    retry_after: int


@dataclass(frozen=True)
class LoginThrottling:
    """The policy's state in one process: the store's counters, the limits, the waiting lines."""

    store: LoginThrottle
    limits: ThrottleSettings
    lines: WaitingLines


async def count_attempt(
    throttling: LoginThrottling, account: str, source: str
) -> Attempt | Throttled:
    """Count the attempt for the account and the source and hold it in flight, or refuse it
    (nothing counted) when either is at its limit, after waiting while attempts in flight
    hold it. A caller cancelled meanwhile leaves nothing counted."""
    attempt = Attempt(
        LoginCounter.account(account),
        LoginCounter.source(source_bucket(source)) if source else None,
    )
    lines = throttling.lines
    loop = asyncio.get_running_loop()
    deadline = loop.time() + throttling.limits.busy_wait
    # a newcomer queues behind the attempts of this account already waiting here
    ticket: Ticket | None = lines.join(attempt.account) if lines.waiting(attempt.account) else None
    try:
        while True:
            if ticket is not None:
                await lines.turn(ticket, deadline)
            trying = asyncio.ensure_future(_try(throttling, attempt))
            try:
                busy = await asyncio.shield(trying)
            except asyncio.CancelledError:  # the client left: what was counted is given back
                trying.add_done_callback(lambda t: _abandoned(throttling, attempt, t))
                raise
            if busy is None:
                return attempt
            if isinstance(busy, Throttled):
                return busy
            if loop.time() >= deadline:
                return Throttled(1)
            if ticket is None:
                ticket = lines.join(busy)
    finally:
        if ticket is not None:
            lines.leave(ticket)


def _abandoned(throttling: LoginThrottling, attempt: Attempt, trying: asyncio.Future[Any]) -> None:
    if not trying.cancelled() and trying.exception() is None and trying.result() is None:
        attempt_abandoned(throttling, attempt)


async def _try(throttling: LoginThrottling, attempt: Attempt) -> LoginCounter | Throttled | None:
    """Count the attempt on every counter: None when counted on all; else what was counted is
    given back, and the counter that attempts in flight hold is returned (Throttled when none)."""
    store, limits = throttling.store, throttling.limits
    counters = attempt.counters
    limit = {attempt.account: limits.account_failures}
    if attempt.source is not None:
        limit[attempt.source] = limits.source_failures
    results = await asyncio.gather(
        *(store.begin(c, limit=limit[c], window=limits.window) for c in counters)
    )
    if all(isinstance(r, Counted) for r in results):
        return None
    counted = [c for c, r in zip(counters, results, strict=True) if isinstance(r, Counted)]
    await asyncio.gather(*(store.end(c, AttemptEnd.GIVEN_BACK) for c in counted))
    for c in counted:
        throttling.lines.notify(c)
    waits = [r.retry_after for r in results if isinstance(r, AtLimit)]
    if waits:  # refused by a counter that no attempt in flight can free
        return Throttled(max(1, *waits))
    return next(c for c, r in zip(counters, results, strict=True) if isinstance(r, InFlight))


def _end_soon(
    throttling: LoginThrottling, attempt: Attempt, ends: list[AttemptEnd]
) -> asyncio.Future[None]:
    """End the attempt in a task of its own: a request cancelled meanwhile cannot leave it in
    flight."""

    async def end() -> None:
        store = throttling.store
        await asyncio.gather(
            *(store.end(c, e) for c, e in zip(attempt.counters, ends, strict=False))
        )
        for counter in attempt.counters:
            throttling.lines.notify(counter)

    task = asyncio.ensure_future(end())
    _ENDING.add(task)
    task.add_done_callback(_ENDING.discard)
    task.add_done_callback(_retrieve)
    return task


async def attempt_succeeded(throttling: LoginThrottling, attempt: Attempt) -> None:
    """A success forgives the account's earlier failures and gives the source its attempt back
    (clearing a whole source's counter would let one valid account reset it)."""
    ends = [AttemptEnd.SUCCEEDED, AttemptEnd.GIVEN_BACK]
    await asyncio.shield(_end_soon(throttling, attempt, ends))


async def attempt_failed(throttling: LoginThrottling, attempt: Attempt) -> None:
    """The attempt stays counted on both counters; it is no longer in flight."""
    await asyncio.shield(_end_soon(throttling, attempt, [AttemptEnd.FAILED, AttemptEnd.FAILED]))


def attempt_abandoned(throttling: LoginThrottling, attempt: Attempt) -> None:
    """The request was cancelled (its client left before the answer): the attempt is given
    back, since an answer never sent tells a guesser nothing, and a client that gives up must
    not lock its own account."""
    _end_soon(throttling, attempt, [AttemptEnd.GIVEN_BACK, AttemptEnd.GIVEN_BACK])


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # a store failure here changes nothing: the count expires with its TTL


__all__ = [
    "Attempt",
    "LoginThrottling",
    "Throttled",
    "WaitingLines",
    "attempt_abandoned",
    "attempt_failed",
    "attempt_succeeded",
    "count_attempt",
    "source_bucket",
]
