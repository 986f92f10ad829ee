"""Request context and errors: one log event per auth request, and JSON for every error.

Anything that is not an OAuthError becomes a logged exception and a generic 500: exception
text, stack traces and ``detail`` never reach the client.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from .. import context
from ..errors import ErrorCode, OAuthError, Overloaded, StoreUnavailable
from .appkeys import STATE
from .responses import error_response

log = structlog.get_logger("tokenhouse.http")
_ids = random.Random()
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# path -> (event on success, event on failure)
EVENTS = {
    "/v1/auth/token": ("token.issued", "token.failed"),
    "/v1/auth/revoke": ("token.revoke", "token.revoke_failed"),
    "/v1/auth/introspect": ("token.introspect", "token.introspect_failed"),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Observer = Callable[[str, dict[str, Any], str, float], None]


def _http_error(exc: web.HTTPException) -> OAuthError:
    if exc.status == 413:
        return OAuthError(ErrorCode.REQUEST_TOO_LARGE)
    if exc.status == 405:
        return OAuthError(ErrorCode.METHOD_NOT_ALLOWED)
    if exc.status == 404:
        return OAuthError(ErrorCode.NOT_FOUND)
    return OAuthError(ErrorCode.INVALID_REQUEST, detail=f"http {exc.status}")


def make_middleware(
    observe: Observer | None = None,
) -> Middleware:
    @web.middleware
    async def context_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get("X-Request-ID")
        if incoming is None or not REQUEST_ID.fullmatch(incoming):
            incoming = f"{_ids.getrandbits(128):032x}"  # a correlation id, not a secret
        request_id = incoming
        ctx = context.begin(request_id)
        started = time.perf_counter()
        events = EVENTS.get(request.path)
        error: OAuthError | None = None
        extra: dict[str, str] = {}
        try:
            response = await handler(request)
        except OAuthError as exc:
            error = exc
        except StoreUnavailable as exc:
            error = OAuthError(ErrorCode.TEMPORARILY_UNAVAILABLE, detail=str(exc), retry_after=1)
            log.warning("store.unavailable", reason=str(exc))
        except Overloaded:
            error = OAuthError(
                ErrorCode.TEMPORARILY_UNAVAILABLE, detail="argon2 queue full", retry_after=1
            )
        except web.HTTPException as exc:
            error = _http_error(exc)
            if exc.status == 405 and "Allow" in exc.headers:
                extra["Allow"] = exc.headers["Allow"]
        except Exception:  # noqa: BLE001 - the last line of defence: log, answer 500
            log.exception("server_error")
            error = OAuthError(ErrorCode.SERVER_ERROR)
        if error is not None:
            response = error_response(error, extra)
        latency = time.perf_counter() - started
        if events is not None:
            outcome = "ok" if error is None else error.code.value
            event = events[0] if error is None else events[1]
            level = log.info if error is None or error.status < 500 else log.warning
            level(
                event,
                outcome=outcome,
                status=response.status,
                latency_ms=round(latency * 1000, 3),
                **({"detail": error.detail} if error is not None and error.detail else {}),
            )
            if observe is not None:
                observe(request.path, ctx, outcome, latency)
        response.headers["X-Request-ID"] = request_id
        if request.app[STATE].get("draining"):  # SIGTERM: let clients reconnect elsewhere
            response.force_close()
            response.headers["Connection"] = "close"
        context.end()
        return response

    return context_and_errors
