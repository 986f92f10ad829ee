"""Small HTTP helpers over the aiohttp test client: one call per grant or endpoint."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from ..factories import basic_auth

TOKEN = "/v1/auth/token"
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The grant is invalid, expired or revoked.",
}
INVALID_SUBJECT = {"error": "invalid_grant", "error_description": "The subject_token is invalid."}


async def post(client: TestClient, path: str, data: dict[str, str], **kw: Any) -> tuple[int, Any]:
    resp = await client.post(path, data=data, **kw)
    return resp.status, await resp.json()


async def login(client: TestClient, client_id: str, email: str, password: str) -> dict[str, Any]:
    status, body = await post(
        client,
        TOKEN,
        {
            "grant_type": "password",
            "client_id": client_id,
            "username": email,
            "password": password,
            "scope": "user",
        },
    )
    assert status == 200, body
    return body


async def refresh(client: TestClient, client_id: str, token: str) -> tuple[int, Any]:
    return await post(
        client,
        TOKEN,
        {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token},
    )


async def integration_login(client: TestClient, client_id: str, secret: str) -> dict[str, Any]:
    status, body = await post(
        client,
        TOKEN,
        {"grant_type": "client_credentials", "scope": "integ"},
        headers={"Authorization": basic_auth(client_id, secret)},
    )
    assert status == 200, body
    return body


async def anonymous(client: TestClient, client_id: str) -> dict[str, Any]:
    status, body = await post(
        client,
        TOKEN,
        {"grant_type": "client_credentials", "client_id": client_id, "scope": "public-read"},
    )
    assert status == 200, body
    return body


async def exchange(
    client: TestClient, client_id: str, secret: str, subject: str
) -> tuple[int, Any]:
    return await post(
        client,
        TOKEN,
        {"grant_type": "token_exchange", "subject_token": subject},
        headers={"Authorization": basic_auth(client_id, secret)},
    )


async def introspect(client: TestClient, client_id: str, secret: str, token: str) -> Any:
    status, body = await post(
        client,
        "/v1/auth/introspect",
        {"token": token},
        headers={"Authorization": basic_auth(client_id, secret)},
    )
    assert status == 200, body
    return body


async def revoke_sdk(client: TestClient, access_token: str, token: str) -> tuple[int, Any]:
    """The SDK form: the refresh token in the body, the access token as Bearer."""
    return await post(
        client,
        "/v1/auth/revoke",
        {"token": token},
        headers={"Authorization": f"Bearer {access_token}"},
    )
