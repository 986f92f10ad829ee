"""Failed-login throttling per account and per source address, in Redis (shared by pods).

Counters exist for any username, known or not, so the answers do not tell which accounts exist.
"""

from __future__ import annotations

from ..errors import ErrorCode, OAuthError
from .services import Services


def _keys(services: Services, username: str, source: str) -> list[str]:
    keys = services.store.keys
    out = [keys.failures_account(username)]
    if source:
        out.append(keys.failures_source(source))
    return out


async def check_login(services: Services, username: str, source: str) -> int:
    """Raise 429 when the account or the source has failed too often in the window; else the
    account's failures so far."""
    limits = services.settings.throttle
    keys = _keys(services, username, source)
    counts = await services.store.failure_counts(keys)
    maxima = [limits.account_failures, limits.source_failures]
    waits = [ttl for (count, ttl), most in zip(counts, maxima, strict=False) if count >= most]
    if waits:
        raise OAuthError(
            ErrorCode.TOO_MANY_REQUESTS, detail="login failures", retry_after=max(1, max(waits))
        )
    return counts[0][0]


async def record_login_failure(services: Services, username: str, source: str) -> None:
    await services.store.record_failure(
        _keys(services, username, source), services.settings.throttle.window
    )


async def clear_account(services: Services, username: str) -> None:
    await services.store.clear_failures(services.store.keys.failures_account(username))
