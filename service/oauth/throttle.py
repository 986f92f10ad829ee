"""Login throttling of the password grant: the shared policy of ``service/throttling.py``.

An attempt over the limit answers 429 ``too_many_requests`` with ``Retry-After``.
"""

from __future__ import annotations

from ..errors import ErrorCode, OAuthError
from ..throttling import Attempt, Throttled, attempt_succeeded, count_attempt, source_bucket
from .services import Services


async def count_login(services: Services, username: str, source: str) -> Attempt:
    """Count the attempt for the account and the source; 429 (nothing counted) when either is
    at its limit."""
    counted = await count_attempt(services.throttle, services.settings.throttle, username, source)
    if isinstance(counted, Throttled):
        raise OAuthError(
            ErrorCode.TOO_MANY_REQUESTS, detail="login attempts", retry_after=counted.retry_after
        )
    return counted


async def login_succeeded(services: Services, attempt: Attempt) -> None:
    """A success forgives the account's failures and gives the source its attempt back."""
    await attempt_succeeded(services.throttle, attempt)


__all__ = ["Attempt", "count_login", "login_succeeded", "source_bucket"]
