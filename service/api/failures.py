"""What the client sees of any exception: an OAuthError, never exception text or a traceback.

Anything that is not an OAuthError, a store outage or an argon2 overload becomes a logged
exception answered with a generic 500.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from ..errors import ErrorCode, OAuthError, Overloaded, StoreUnavailable

log = structlog.get_logger("tokenhouse.http")


def _http_error(exc: web.HTTPException) -> OAuthError:
    if exc.status == 413:
        return OAuthError(ErrorCode.REQUEST_TOO_LARGE)
    if exc.status == 405:
        return OAuthError(ErrorCode.METHOD_NOT_ALLOWED)
    if exc.status == 404:
        return OAuthError(ErrorCode.NOT_FOUND)
    return OAuthError(ErrorCode.INVALID_REQUEST, detail=f"http {exc.status}")


def client_error(exc: Exception) -> tuple[OAuthError, dict[str, str]]:
    """The error to answer ``exc`` with, and extra headers. Call it inside the ``except``
    block: an unexpected exception is logged with its traceback."""
    if isinstance(exc, OAuthError):
        return exc, {}
    if isinstance(exc, StoreUnavailable):
        log.warning("store.unavailable", reason=str(exc))
        return (
            OAuthError(ErrorCode.TEMPORARILY_UNAVAILABLE, detail=str(exc), retry_after=1),
            {},
        )
    if isinstance(exc, Overloaded):
        return (
            OAuthError(
                ErrorCode.TEMPORARILY_UNAVAILABLE, detail="argon2 queue full", retry_after=1
            ),
            {},
        )
    if isinstance(exc, web.HTTPException):
        extra = {}
        if exc.status == 405 and "Allow" in exc.headers:
            extra["Allow"] = exc.headers["Allow"]
        return _http_error(exc), extra
    log.exception("server_error")  # the last line of defence: log, answer 500
    return OAuthError(ErrorCode.SERVER_ERROR), {}
