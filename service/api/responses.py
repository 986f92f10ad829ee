"""JSON responses: every token-endpoint answer is JSON with no-store caching (RFC 6749 §5.1)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from ..errors import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


# A success's headers, built once (the Response copies them).
_JSON_NO_STORE = CIMultiDictProxy(CIMultiDict({**NO_STORE, "Content-Type": "application/json"}))


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    if not headers:
        return web.Response(body=orjson.dumps(body), status=status, headers=_JSON_NO_STORE)
    merged = dict(NO_STORE)
    merged.update(headers)
    return web.Response(
        body=orjson.dumps(body), status=status, headers=merged, content_type="application/json"
    )


def error_response(exc: OAuthError, extra_headers: dict[str, str] | None = None) -> web.Response:
    headers = dict(extra_headers or {})
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.www_authenticate:
        headers["WWW-Authenticate"] = exc.www_authenticate
    body = {"error": exc.code.value, "error_description": exc.description}
    return json_response(body, exc.status, headers)
