"""The request's context: one dict per request in one ContextVar.

The middleware starts it; the OAuth layer adds what it learns (grant type, client, user,
session); every log event of the request carries it and the metrics read it. One dict set
once per request is far cheaper than a ContextVar per key copied on every log event, and a
new dict per request means nothing bleeds from one request into the next on a keep-alive
connection.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("tokenhouse_request", default=None)


def begin(request_id: str) -> dict[str, Any]:
    """A fresh context for a new request."""
    ctx: dict[str, Any] = {"request_id": request_id}
    _REQUEST.set(ctx)
    return ctx


def annotate(**fields: Any) -> None:
    """Add fields to the current request's context (a no-op outside a request)."""
    ctx = _REQUEST.get()
    if ctx is not None:
        ctx.update(fields)


def current() -> dict[str, Any]:
    ctx = _REQUEST.get()
    return ctx if ctx is not None else {}


def end() -> None:
    _REQUEST.set(None)


def merge_into_event(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the request's fields under the event's own."""
    ctx = _REQUEST.get()
    if ctx:
        for key, value in ctx.items():
            event.setdefault(key, value)
    return event
