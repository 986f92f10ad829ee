"""The admin listener's request middleware: context, the admin token, JSON errors, one log event.

Every request under ``/admin/`` must carry ``Authorization: Bearer <admin token>``, checked
before anything else (an unknown path or a too-large body included), in Redis on every call so
a revoked token fails at once. Paths outside ``/admin/`` (``/metrics``, and whatever else the
listener serves with its own authentication) pass without one. Each call under ``/admin/``
logs one ``admin.call`` event naming the admin token's id (never the token), the operation
and its target.
"""

from __future__ import annotations

import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from ... import context
from ...admin import AdminError, Conflict, Invalid, NotFound
from ...errors import ErrorCode, OAuthError
from ..appkeys import ADMIN
from ..failures import client_error
from ..middlewares import Handler, finish, request_id
from ..responses import error_response
from .calls import CALL, AdminCall

log = structlog.get_logger("tokenhouse.admin")

PREFIX = "/admin/"
REALM = 'Bearer realm="tokenhouse-admin"'
MAX_TOKEN = 512


def _unauthorized(presented: bool) -> OAuthError:
    if not presented:
        return OAuthError(
            ErrorCode.INVALID_TOKEN, "An admin token is required.", www_authenticate=REALM
        )
    return OAuthError(
        ErrorCode.INVALID_TOKEN,
        "The admin token is invalid or revoked.",
        www_authenticate=f'{REALM}, error="invalid_token"',
    )


async def authenticate(request: web.Request) -> str:
    """The id of the admin token the request carries; 401 invalid_token otherwise (RFC 6750 §3)."""
    header = request.headers.get("Authorization")
    if header is None:
        raise _unauthorized(False)
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN:
        raise _unauthorized(True)
    record = await request.app[ADMIN].admin_tokens.authenticate(token)
    if record is None:
        raise _unauthorized(True)
    return record.token_id


def admin_error(exc: AdminError) -> OAuthError:
    """The API's answer to a refused operation: its kind's code and its public description."""
    if isinstance(exc, Invalid):
        return OAuthError(ErrorCode.INVALID_REQUEST, exc.public, detail=str(exc))
    if isinstance(exc, NotFound):
        return OAuthError(ErrorCode.NOT_FOUND, exc.public)
    if isinstance(exc, Conflict):
        return OAuthError(ErrorCode(exc.kind.value), exc.public)
    return OAuthError(ErrorCode.INVALID_REQUEST, exc.public)


def _operation(request: web.Request) -> str | None:
    """The handler's name (the OpenAPI operationId) of a matched route."""
    info = request.match_info
    if info.http_exception is not None:
        return None
    return getattr(info.handler, "__name__", None)


def report(request: web.Request, call: AdminCall, error: OAuthError | None, status: int) -> None:
    level = log.info if error is None or error.status < 500 else log.warning
    level(
        "admin.call",
        admin=call.admin,
        operation=_operation(request),
        method=request.method,
        target=call.target,
        outcome="ok" if error is None else error.code.value,
        status=status,
        latency_ms=round((time.perf_counter() - call.started) * 1000, 3),
        **({"detail": error.detail} if error is not None and error.detail else {}),
    )


def make_admin_middleware() -> Middleware:
    @web.middleware
    async def admin_steps(request: web.Request, handler: Handler) -> web.StreamResponse:
        rid = request_id(request)
        context.begin(rid)
        call = request[CALL] = AdminCall(time.perf_counter())
        guarded = request.path.startswith(PREFIX)
        error: OAuthError | None = None
        try:
            if guarded:
                call.admin = await authenticate(request)
            response = await handler(request)
        except AdminError as exc:
            error = admin_error(exc)
            response = error_response(error)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON answer
            error, headers = client_error(exc)
            response = error_response(error, headers)
        if guarded:
            report(request, call, error, response.status)
        finish(request, response, rid)
        context.end()
        return response

    return admin_steps
