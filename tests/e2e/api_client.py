"""Small HTTP helpers for the end-to-end tier: stdlib urllib (sync) and aiohttp (async)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import aiohttp

from ..factories import basic_auth

TOKEN = "/v1/auth/token"
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The grant is invalid, expired or revoked.",
}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Client authentication failed."}


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
        return self.request(
            TOKEN,
            {"grant_type": "client_credentials", "client_id": client_id, "scope": "public-read"},
        )

    def login(self, client_id: str, email: str, password: str) -> tuple[int, Any]:
        return self.request(
            TOKEN,
            {
                "grant_type": "password",
                "client_id": client_id,
                "username": email,
                "password": password,
                "scope": "user",
            },
        )

    def refresh(self, client_id: str, token: str) -> tuple[int, Any]:
        return self.request(
            TOKEN, {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
        )

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
        return self.request(
            "/v1/auth/revoke", {"token": token}, {"Authorization": f"Bearer {access_token}"}
        )

    def introspect(self, client_id: str, secret: str, token: str) -> tuple[int, Any]:
        return self.request(
            "/v1/auth/introspect",
            {"token": token},
            {"Authorization": basic_auth(client_id, secret)},
        )


async def refresh_async(
    session: aiohttp.ClientSession, base: str, client_id: str, token: str
) -> tuple[int, Any]:
    """One refresh over aiohttp, for requests that must run in parallel."""
    data = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    async with session.post(base + TOKEN, data=data) as resp:
        return resp.status, await resp.json()


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT, unverified: for asserting what the server put there."""

    def part(text: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    header, claims, _ = token.split(".")
    return part(header), part(claims)
