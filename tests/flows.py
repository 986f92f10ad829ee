"""HTTP flows shared by the test tiers: paths, error bodies, grant forms, and one call per grant
or endpoint.

The calls take anything with aiohttp's ``.post(path, data=..., headers=...)``: the test client
of an in-process app, or a ``ClientSession(base_url)`` on a live process. Each returns
``(status, JSON body)``; wrap it in :func:`ok` to assert a 200 and get the body.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable
from typing import Any

from .factories import basic_auth

TOKEN = "/v1/auth/token"
REVOKE = "/v1/auth/revoke"
INTROSPECT = "/v1/auth/introspect"
AUTH_WITH_IDP = "/v1/auth/auth_with_idp"
FORM = "application/x-www-form-urlencoded"
EXCHANGE_URN = "urn:ietf:params:oauth:grant-type:token-exchange"

INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The grant is invalid, expired or revoked.",
}
INVALID_SUBJECT = {"error": "invalid_grant", "error_description": "The subject_token is invalid."}
BAD_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Client authentication failed."}
INVALID_SCOPE = {"error": "invalid_scope", "error_description": "The requested scope is invalid."}
TOO_MANY = {"error": "too_many_requests", "error_description": "Too many attempts; retry later."}
UNKNOWN_IDP = {"error": "invalid_grant", "error_description": "Unknown identity provider."}
UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service is temporarily unavailable; retry later.",
}


def invalid_request(description: str) -> dict[str, str]:
    return {"error": "invalid_request", "error_description": description}


# forms -----------------------------------------------------------------------------------------
def password_form(client_id: str, email: str, password: str, **extra: str) -> dict[str, str]:
    """A password grant for the ``user`` scope."""
    return {
        "grant_type": "password",
        "client_id": client_id,
        "username": email,
        "password": password,
        "scope": "user",
        **extra,
    }


def refresh_form(client_id: str, token: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token, **extra}


def anonymous_form(client_id: str) -> dict[str, str]:
    """client_credentials of a public client for the ``public-read`` scope."""
    return {"grant_type": "client_credentials", "client_id": client_id, "scope": "public-read"}


def idp_form(
    client_id: str,
    secret: str | None,
    idp_id: str,
    idp_client_id: str,
    idp_token: str,
    **extra: str,
) -> dict[str, str]:
    """What the SDK's loginWithIdp sends (the secret in the body, as the SDK puts it)."""
    form = {
        "idp_id": idp_id,
        "idp_client_id": idp_client_id,
        "idp_token": idp_token,
        "client_id": client_id,
        **extra,
    }
    if secret is not None:
        form["client_secret"] = secret
    return form


def basic(client_id: str, secret: str) -> dict[str, str]:
    """The headers of HTTP Basic client authentication."""
    return {"Authorization": basic_auth(client_id, secret)}


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


# calls -----------------------------------------------------------------------------------------
async def post(http: Any, path: str, data: dict[str, str], **kw: Any) -> tuple[int, Any]:
    async with http.post(path, data=data, **kw) as resp:
        return resp.status, await resp.json()


async def ok(call: Awaitable[tuple[int, Any]]) -> Any:
    """The body of a call that must answer 200."""
    status, body = await call
    assert status == 200, (status, body)
    return body


async def login(http: Any, client_id: str, email: str, password: str) -> tuple[int, Any]:
    return await post(http, TOKEN, password_form(client_id, email, password))


async def refresh(http: Any, client_id: str, token: str) -> tuple[int, Any]:
    return await post(http, TOKEN, refresh_form(client_id, token))


async def anonymous(http: Any, client_id: str) -> tuple[int, Any]:
    return await post(http, TOKEN, anonymous_form(client_id))


async def integration_login(http: Any, client_id: str, secret: str) -> tuple[int, Any]:
    """client_credentials of an integration client (Basic auth) for the ``integ`` scope."""
    form = {"grant_type": "client_credentials", "scope": "integ"}
    return await post(http, TOKEN, form, headers=basic(client_id, secret))


async def exchange(http: Any, client_id: str, secret: str, subject: str) -> tuple[int, Any]:
    form = {"grant_type": "token_exchange", "subject_token": subject}
    return await post(http, TOKEN, form, headers=basic(client_id, secret))


async def idp_login(
    http: Any, client_id: str, secret: str, idp_id: str, idp_client_id: str, idp_token: str
) -> tuple[int, Any]:
    """POST /v1/auth/auth_with_idp as the SDK sends it."""
    form = idp_form(client_id, secret, idp_id, idp_client_id, idp_token)
    return await post(http, AUTH_WITH_IDP, form)


async def introspect(http: Any, client_id: str, secret: str, token: str) -> tuple[int, Any]:
    return await post(http, INTROSPECT, {"token": token}, headers=basic(client_id, secret))


async def revoke(http: Any, client_id: str, secret: str, token: str) -> tuple[int, Any]:
    return await post(http, REVOKE, {"token": token}, headers=basic(client_id, secret))


async def revoke_sdk(http: Any, access_token: str, token: str) -> tuple[int, Any]:
    """The SDK form: the refresh token in the body, the access token as Bearer."""
    return await post(http, REVOKE, {"token": token}, headers=bearer(access_token))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, unverified: for asserting what the server put there."""

    def part(text: str) -> Any:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    header, claims, _ = token.split(".")
    return part(header), part(claims)
