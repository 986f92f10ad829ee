"""Login throttling of the password grant: the shared policy of ``service/throttling``.

An attempt over the limit answers 429 ``too_many_requests`` with ``Retry-After``.
"""

from __future__ import annotations

from ..errors import ErrorCode, OAuthError
from ..throttling import (
    Attempt,
    LoginThrottling,
    Throttled,
    attempt_abandoned,
    attempt_failed,
    attempt_succeeded,
    count_attempt,
    source_bucket,
)
from .services import Services


def _throttling(services: Services) -> LoginThrottling:
    return LoginThrottling(services.throttle, services.settings.throttle, services.login_lines)


async def count_login(services: Services, username: str, source: str) -> Attempt:
    """Count the attempt for the account and the source and hold it in flight; 429 (nothing
    counted) when either is at its limit, after waiting while attempts in flight hold it."""
    counted = await count_attempt(_throttling(services), username, source)
    if isinstance(counted, Throttled):
        raise OAuthError(
            ErrorCode.TOO_MANY_REQUESTS, detail="login attempts", retry_after=counted.retry_after
        )
    return counted


async def login_succeeded(services: Services, attempt: Attempt) -> None:
    """A success forgives the account's failures and gives the source its attempt back."""
    await attempt_succeeded(_throttling(services), attempt)


async def login_failed(services: Services, attempt: Attempt) -> None:
    """The attempt stays counted on both counters; it is no longer in flight."""
    await attempt_failed(_throttling(services), attempt)


def login_abandoned(services: Services, attempt: Attempt) -> None:
    """The client left before the answer: the attempt is given back."""
    attempt_abandoned(_throttling(services), attempt)


__all__ = [
    "Attempt",
    "count_login",
    "login_abandoned",
    "login_failed",
    "login_succeeded",
    "source_bucket",
]
