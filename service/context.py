"""The request's context: one typed record per request in one ContextVar.

The middleware starts it; the OAuth layer notes what it learns (grant type, client, user,
session); every log event of the request carries it and the metrics read it. One record set
once per request is far cheaper than a ContextVar per field copied on every log event, and a
new record per request means nothing bleeds from one request into the next on a keep-alive
connection.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class RequestContext:
    request_id: str
    grant_type: str | None = None
    client_id: str | None = None
    client_kind: str | None = None
    user_id: str | None = None
    session: str | None = None
    idp_id: str | None = None  # social login: a configured identity provider


# the fields log events carry, in this order, when they are set
FIELDS = ("request_id", "grant_type", "client_id", "client_kind", "user_id", "session", "idp_id")

_REQUEST: ContextVar[RequestContext | None] = ContextVar("tokenhouse_request", default=None)


def begin(request_id: str) -> RequestContext:
    """A fresh context for a new request."""
    ctx = RequestContext(request_id)
    _REQUEST.set(ctx)
    return ctx


def annotate(
    *,
    grant_type: str | None = None,
    client_id: str | None = None,
    client_kind: str | None = None,
    user_id: str | None = None,
    session: str | None = None,
    idp_id: str | None = None,
) -> None:
    """Note what the request turned out to be about (a no-op outside a request)."""
    ctx = _REQUEST.get()
    if ctx is None:
        return
    if grant_type is not None:
        ctx.grant_type = grant_type
    if client_id is not None:
        ctx.client_id = client_id
    if client_kind is not None:
        ctx.client_kind = client_kind
    if user_id is not None:
        ctx.user_id = user_id
    if session is not None:
        ctx.session = session
    if idp_id is not None:
        ctx.idp_id = idp_id


def end() -> None:
    _REQUEST.set(None)


def merge_into_event(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the request's fields under the event's own."""
    ctx = _REQUEST.get()
    if ctx is not None:
        for name in FIELDS:
            value = getattr(ctx, name)
            if value is not None:
                event.setdefault(name, value)
    return event
