"""The request middleware: the steps of every request, from its context to its JSON answer.

It runs the steps in order, each a named function: start the request context, call the view,
turn a failure into the client's error (``failures.py``), report an OAuth request (one log
event, the request metrics), then finish the response headers. One middleware rather than
one per step keeps the per-request cost of the hot path.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from .. import context
from ..context import RequestContext
from ..errors import OAuthError
from ..log import log_event
from .appkeys import STATE
from .endpoints import ENDPOINTS, Endpoint
from .failures import client_error
from .responses import error_response

log = structlog.get_logger("tokenhouse.http")
_ids = random.Random()
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# (endpoint name, request context, outcome, latency in seconds): the request metrics
Observer = Callable[[str, RequestContext, str, float], None]


def request_id(request: web.Request) -> str:
    """The caller's X-Request-ID when it is well-formed, else a new one."""
    incoming = request.headers.get("X-Request-ID")
    if incoming is None or not REQUEST_ID.fullmatch(incoming):
        return f"{_ids.getrandbits(128):032x}"  # a correlation id, not a secret
    return incoming


CANCELLED = "cancelled"  # the outcome of a request whose client left before its answer
CLIENT_CLOSED = 499  # the status logged for it (none was sent)


def report(
    endpoint: Endpoint,
    ctx: RequestContext,
    error: OAuthError | None,
    status: int,
    latency: float,
    observe: Observer | None,
) -> None:
    """One log event for the OAuth request, and its metrics."""
    if status == CLIENT_CLOSED:
        outcome, event, method = CANCELLED, endpoint.failed_event, "info"
    elif error is None:
        outcome, event, method = "ok", endpoint.ok_event, "info"
    else:
        outcome, event = error.code.value, endpoint.failed_event
        method = "info" if error.status < 500 else "warning"
    fields = {"outcome": outcome, "status": status, "latency_ms": round(latency * 1000, 3)}
    if error is not None and error.detail:
        fields["detail"] = error.detail
    log_event(log, method, event, fields)
    if observe is not None:
        observe(endpoint.name, ctx, outcome, latency)


def finish(request: web.Request, response: web.StreamResponse, rid: str) -> None:
    """Headers every response carries; while draining, ask the client to reconnect elsewhere."""
    response.headers["X-Request-ID"] = rid
    if request.app[STATE].get("draining"):  # SIGTERM
        response.force_close()
        response.headers["Connection"] = "close"


def make_middleware(observe: Observer | None = None) -> Middleware:
    @web.middleware
    async def request_steps(request: web.Request, handler: Handler) -> web.StreamResponse:
        rid = request_id(request)
        ctx = context.begin(rid)
        started = time.perf_counter()
        error: OAuthError | None = None
        try:
            response = await handler(request)
        except asyncio.CancelledError:  # the client left (aiohttp cancels its handler)
            endpoint = ENDPOINTS.get(request.path)
            if endpoint is not None:
                latency = time.perf_counter() - started
                report(endpoint, ctx, None, CLIENT_CLOSED, latency, observe)
            context.end()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON answer
            error, headers = client_error(exc)
            response = error_response(error, headers)
        endpoint = ENDPOINTS.get(request.path)
        if endpoint is not None:
            latency = time.perf_counter() - started
            report(endpoint, ctx, error, response.status, latency, observe)
        finish(request, response, rid)
        context.end()
        return response

    return request_steps
