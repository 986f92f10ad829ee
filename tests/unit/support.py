"""HTTP helpers shared by the unit tests: post a form, log in, check an error answer."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from service.api.appkeys import SERVICES
from service.models import Client, User
from service.oauth.services import Services

TOKEN = "/v1/auth/token"
REVOKE = "/v1/auth/revoke"
INTROSPECT = "/v1/auth/introspect"
FORM = "application/x-www-form-urlencoded"
PASSWORD = "correct horse"
EXCHANGE_URN = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"

INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The grant is invalid, expired or revoked.",
}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Client authentication failed."}
BAD_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}
BAD_SUBJECT = {"error": "invalid_grant", "error_description": "The subject_token is invalid."}
INVALID_SCOPE = {"error": "invalid_scope", "error_description": "The requested scope is invalid."}
TOO_MANY = {"error": "too_many_requests", "error_description": "Too many attempts; retry later."}
UNAUTHORIZED_CLIENT = {
    "error": "unauthorized_client",
    "error_description": "This client may not use this grant type.",
}


def invalid_request(description: str) -> dict[str, str]:
    return {"error": "invalid_request", "error_description": description}


async def post(
    client: TestClient,
    path: str,
    data: dict[str, str] | bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    """POST a form (a dict, or raw bytes sent as a form) and return (status, JSON body, response)."""
    hdrs = dict(headers or {})
    if isinstance(data, bytes):
        hdrs.setdefault("Content-Type", FORM)
    resp = await client.post(path, data=data, headers=hdrs)
    assert resp.content_type == "application/json", await resp.text()
    return resp.status, await resp.json(), resp


async def token(
    client: TestClient, data: dict[str, str] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any, Any]:
    return await post(client, TOKEN, data, headers)


async def login(
    client: TestClient, app: Client, user: User, password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    """A successful password login; the token response body."""
    data = {
        "grant_type": "password",
        "client_id": app.client_id,
        "username": user.email,
        "password": password,
        "scope": "user",
        **extra,
    }
    status, body, _ = await token(client, data)
    assert status == 200, body
    return body


async def refresh(
    client: TestClient, app: Client, refresh_token: str, **extra: str
) -> tuple[int, Any, Any]:
    return await token(
        client,
        {
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "refresh_token": refresh_token,
            **extra,
        },
    )


async def integ_login(client: TestClient, app: Client, secret: str) -> dict[str, Any]:
    """client_credentials for an integration client; the token response body."""
    data = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": secret,
        "scope": "integ",
    }
    status, body, _ = await token(client, data)
    assert status == 200, body
    return body


async def anonymous(client: TestClient, app: Client) -> dict[str, Any]:
    data = {"grant_type": "client_credentials", "client_id": app.client_id, "scope": "public-read"}
    status, body, _ = await token(client, data)
    assert status == 200, body
    return body


def assert_no_store(resp: Any) -> None:
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Pragma"] == "no-cache"


def services_of(client: TestClient) -> Services:
    """The Services of the app behind a test client."""
    return client.server.app[SERVICES]
