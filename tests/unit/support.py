"""HTTP helpers shared by the unit tests: post a form, log in, check an error answer."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from service.api.appkeys import SERVICES
from service.models import Client, User
from service.oauth.services import Services
from service.oauth.tokens import mint_access_token

from ..flows import (  # noqa: F401 (paths and error bodies: for the unit tests)
    BAD_LOGIN,
    EXCHANGE_URN,
    FORM,
    INTROSPECT,
    INVALID_CLIENT,
    INVALID_GRANT,
    INVALID_SCOPE,
    REVOKE,
    TOKEN,
    TOO_MANY,
    anonymous_form,
    invalid_request,
    password_form,
    refresh_form,
)
from ..flows import INVALID_SUBJECT as BAD_SUBJECT  # noqa: F401

PASSWORD = "correct horse"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
UNAUTHORIZED_CLIENT = {
    "error": "unauthorized_client",
    "error_description": "This client may not use this grant type.",
}


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
    status, body, _ = await token(
        client, password_form(app.client_id, user.email, password, **extra)
    )
    assert status == 200, body
    return body


async def refresh(
    client: TestClient, app: Client, refresh_token: str, **extra: str
) -> tuple[int, Any, Any]:
    return await token(client, refresh_form(app.client_id, refresh_token, **extra))


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
    status, body, _ = await token(client, anonymous_form(app.client_id))
    assert status == 200, body
    return body


def assert_no_store(resp: Any) -> None:
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Pragma"] == "no-cache"


def services_of(client: TestClient) -> Services:
    """The Services of the app behind a test client."""
    return client.server.app[SERVICES]


def expired_access_token(
    services: Services, app: Client, user: User, *, ttl: int, ago: float, sid: str | None = None
) -> str:
    """A user access token of ``app`` minted ``ago`` seconds ago for ``ttl`` seconds (of the
    session ``sid``, when given): expired once ``ago`` exceeds ``ttl``."""
    return mint_access_token(
        services.jwt,
        sub=user.user_id,
        client_id=app.client_id,
        scope="user",
        ttl=ttl,
        now=services.clock() - ago,
        session_ref=sid,
    )
