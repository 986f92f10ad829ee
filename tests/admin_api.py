"""The admin API in tests: its error bodies, and one call helper for any aiohttp-like client.

The helper takes the test client of an in-process admin app, or an aiohttp ``ClientSession``
with the admin listener's base URL. It returns ``(status, JSON body or None, response)``.
"""

from __future__ import annotations

from typing import Any

TOKEN_REQUIRED = {"error": "invalid_token", "error_description": "An admin token is required."}
TOKEN_INVALID = {
    "error": "invalid_token",
    "error_description": "The admin token is invalid or revoked.",
}
CHALLENGE = 'Bearer realm="tokenhouse-admin"'
CHALLENGE_INVALID = 'Bearer realm="tokenhouse-admin", error="invalid_token"'
UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service is temporarily unavailable; retry later.",
}
NOT_FOUND = {"error": "not_found", "error_description": "Not found."}
METHOD_NOT_ALLOWED = {"error": "method_not_allowed", "error_description": "Method not allowed."}


def no_such(what: str) -> dict[str, str]:
    return {"error": "not_found", "error_description": f"No such {what}."}


def invalid(description: str) -> dict[str, str]:
    return {"error": "invalid_request", "error_description": description}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    client: Any,
    method: str,
    path: str,
    token: str | None,
    body: Any = None,
    *,
    base: str = "",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any, Any]:
    """One admin request: ``body`` as JSON (or ``raw`` bytes as application/json)."""
    hdrs = {**(auth(token) if token is not None else {}), **(headers or {})}
    kw: dict[str, Any] = {"headers": hdrs}
    if raw is not None:
        kw["data"] = raw
        hdrs.setdefault("Content-Type", "application/json")
    elif body is not None:
        kw["json"] = body
    async with client.request(method, base + path, **kw) as resp:
        data = await resp.read()
        parsed = await resp.json(content_type=None) if data else None
        return resp.status, parsed, resp


class AdminHttp:
    """The admin listener of a running process, over blocking urllib (for the e2e tier)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """(status, parsed JSON or None) of one request; ``token`` overrides the default."""
        import json
        import urllib.error
        import urllib.request

        headers = {}
        bearer = token if token is not None else self.token
        if bearer:  # "" sends no Authorization header
            headers["Authorization"] = f"Bearer {bearer}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw
