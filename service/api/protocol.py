"""Requests aiohttp's parser refuses answered as JSON with nothing of the request in the log.

A malformed request (an invalid byte in a header, a header or request line over the limit)
never reaches a handler: aiohttp answers it from ``RequestHandler.handle_error``, logging the
raw header or request line at ERROR (an ``Authorization`` value, a secret in a query string)
and echoing it in a text/plain body. Here the answer is our JSON 400 and the log line names
only the kind of error.
"""

from __future__ import annotations

import random
from typing import Any

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from ..errors import ErrorCode, OAuthError
from .responses import error_response

log = structlog.get_logger("tokenhouse.http")
_ids = random.Random()

# What aiohttp's status means here: the parser answers 400, a lost handler 500 or 504.
CODES = {400: ErrorCode.INVALID_REQUEST, 504: ErrorCode.TEMPORARILY_UNAVAILABLE}


class JsonErrorRequestHandler(RequestHandler):
    """aiohttp's connection handler whose protocol errors are JSON and logged without input."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: a response is already on its way
            raise ConnectionError("response already sent; cannot send the error")
        request_id = f"{_ids.getrandbits(128):032x}"
        error = OAuthError(CODES.get(status, ErrorCode.SERVER_ERROR))
        # The exception's text quotes the offending bytes: only its class is logged.
        level = log.info if status == 400 else log.error  # a client's mistake, or our failure
        level(
            "http.malformed" if status == 400 else "http.protocol_error",
            request_id=request_id,
            status=error.status,
            error=type(exc).__name__ if exc is not None else None,
        )
        response = error_response(error, {"X-Request-ID": request_id})
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """aiohttp's other exception logs: its fixed message and the exception's class only."""
        exc = kw.get("exc_info")
        # A body the client broke (bad chunking or compression) resurfaces here after the answer.
        level = log.info if isinstance(exc, web.RequestPayloadError) else log.error
        level(
            "http.protocol_error",
            message=str(args[0])[:120] if args else None,
            error=type(exc).__name__ if isinstance(exc, BaseException) else None,
        )


class JsonErrorServer(web.Server):
    """aiohttp's low-level server, making a JsonErrorRequestHandler per connection."""

    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorAppRunner(web.AppRunner):
    """An AppRunner whose server answers protocol errors as JSON (see the module docstring)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return JsonErrorServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )
