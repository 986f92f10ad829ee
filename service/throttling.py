"""Login throttling: every sign-in attempt is counted, per account as per source, before argon2.

Each attempt is counted atomically by the store (one counter at a time: the account's and the
source's live in different Cluster slots) before the password is checked, so parallel attempts,
on any number of workers and pods, cannot pass the limit. A success clears the account's
counter and gives the source back that one attempt. Counters exist for any name, known or not,
so the answers do not tell which accounts exist. The password grant and the operators' sign-in
share this policy (and the source counters); an operator's account is counted under its own
name (``loginas.operators.throttle_name``).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass

from .settings import ThrottleSettings
from .store.protocols import LoginThrottle
from .store.records import AtLimit, LoginCounter


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
    """A counted login attempt: the account's counter, and the source's when known."""

    account: LoginCounter
    source: LoginCounter | None


@dataclass(frozen=True)
class Throttled:
    """Refused before counting: a counter is at its limit for ``retry_after`` more seconds."""

    retry_after: int


async def count_attempt(
    store: LoginThrottle, limits: ThrottleSettings, account: str, source: str
) -> Attempt | Throttled:
    """Count the attempt for the account and the source, or refuse it (nothing counted) when
    either is at its limit."""
    attempt = Attempt(
        LoginCounter.account(account),
        LoginCounter.source(source_bucket(source)) if source else None,
    )
    counters = [(attempt.account, limits.account_failures)]
    if attempt.source is not None:
        counters.append((attempt.source, limits.source_failures))
    results = await asyncio.gather(
        *(store.count(counter, limit=limit, window=limits.window) for counter, limit in counters)
    )
    waits = [r.retry_after for r in results if isinstance(r, AtLimit)]
    if waits:  # refused by one counter: the other gives its attempt back
        counted = [
            c for (c, _), r in zip(counters, results, strict=True) if not isinstance(r, AtLimit)
        ]
        await asyncio.gather(*(store.forgive(counter) for counter in counted))
        return Throttled(max(1, *waits))
    return attempt


async def attempt_succeeded(store: LoginThrottle, attempt: Attempt) -> None:
    """A success forgives the account's earlier failures and gives the source its attempt back
    (clearing a whole source's counter would let one valid account reset it)."""
    steps = [store.forgive(attempt.account, everything=True)]
    if attempt.source is not None:
        steps.append(store.forgive(attempt.source))
    await asyncio.gather(*steps)


__all__ = ["Attempt", "Throttled", "attempt_succeeded", "count_attempt", "source_bucket"]
