"""Small HTTP helpers for the end-to-end tier: stdlib urllib (sync) and aiohttp (async)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import aiohttp

from ..flows import (  # noqa: F401 (INVALID_*, jwt_parts: for the end-to-end tests)
    INTROSPECT,
    INVALID_CLIENT,
    INVALID_GRANT,
    REVOKE,
    TOKEN,
    anonymous_form,
    basic,
    bearer,
    jwt_parts,
    password_form,
    post,
    refresh_form,
)


class Api:
    """One running tokenhouse at ``base`` (http://127.0.0.1:<port>)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(
        self,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> tuple[int, Any]:
        """POST a form (or GET without data); (status, parsed JSON body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def get(self, path: str) -> tuple[int, Any]:
        return self.request(path)

    def ok(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        status, body = self.request(path, data, headers)
        assert status == 200, (status, body)
        return body

    # grants ----------------------------------------------------------------------------------
    def anonymous(self, client_id: str) -> tuple[int, Any]:
        return self.request(TOKEN, anonymous_form(client_id))

    def login(self, client_id: str, email: str, password: str) -> tuple[int, Any]:
        return self.request(TOKEN, password_form(client_id, email, password))

    def refresh(self, client_id: str, token: str) -> tuple[int, Any]:
        return self.request(TOKEN, refresh_form(client_id, token))

    def integration(self, client_id: str, secret: str) -> tuple[int, Any]:
        return self.request(
            TOKEN,
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "integ",
            },
        )

    def exchange(self, client_id: str, secret: str, subject: str) -> tuple[int, Any]:
        return self.request(
            TOKEN,
            {
                "grant_type": "token_exchange",
                "client_id": client_id,
                "client_secret": secret,
                "subject_token": subject,
            },
        )

    def revoke_sdk(self, access_token: str, token: str) -> tuple[int, Any]:
        return self.request(REVOKE, {"token": token}, bearer(access_token))

    def introspect(self, client_id: str, secret: str, token: str) -> tuple[int, Any]:
        return self.request(INTROSPECT, {"token": token}, basic(client_id, secret))


async def refresh_async(
    session: aiohttp.ClientSession, base: str, client_id: str, token: str
) -> tuple[int, Any]:
    """One refresh over aiohttp, for requests that must run in parallel."""
    return await post(session, base + TOKEN, refresh_form(client_id, token))
