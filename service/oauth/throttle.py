"""Failed-login throttling per account or source address, counted by the store (shared by pods).

Counters exist for any username, known or not, so the answers do not tell which accounts exist.
"""

from __future__ import annotations

from ..errors import ErrorCode, OAuthError
from .services import Services


async def check_login(services: Services, username: str, source: str) -> int:
    """Raise 429 when the account or the source has failed too often in the window; else the
    account's failures so far."""
    limits = services.settings.throttle
    counts = await services.throttle.failures(username, source)
    maxima = [limits.account_failures, limits.source_failures]
    waits = [c.ttl for c, most in zip(counts, maxima, strict=False) if c.count >= most]
    if waits:
        raise OAuthError(
            ErrorCode.TOO_MANY_REQUESTS, detail="login failures", retry_after=max(1, max(waits))
        )
    return counts[0].count


async def record_login_failure(services: Services, username: str, source: str) -> None:
    await services.throttle.record_failure(username, source, services.settings.throttle.window)


async def clear_account(services: Services, username: str) -> None:
    await services.throttle.clear_account(username)
