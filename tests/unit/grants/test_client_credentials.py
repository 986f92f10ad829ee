"""client_credentials (RFC 6749 §4.4): anonymous marketplace tokens and integration sessions."""

from __future__ import annotations

import orjson
import pytest

from ...factories import basic_auth
from ...factories import make_client as new_app
from ..support import (
    INVALID_CLIENT,
    INVALID_SCOPE,
    assert_no_store,
    integ_login,
    token,
)


def cc(client_id: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, **extra}


@pytest.mark.parametrize("scope", [{"scope": "public-read"}, {}])
async def test_marketplace_gets_anonymous_public_read_token(
    client, services, store, settings, scope
):
    """A marketplace client_id gets a public-read token and no refresh token (scope optional)."""
    app = await new_app(store)

    status, body, resp = await token(client, cc(app.client_id, **scope))

    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer"
    assert body["scope"] == "public-read"
    assert body["expires_in"] == settings.tokens.access_ttl and isinstance(body["expires_in"], int)
    assert_no_store(resp)
    claims = services.jwt.verify(body["access_token"], services.clock())
    assert claims["sub"] == claims["client_id"] == app.client_id
    assert claims["scope"] == "public-read" and "sid" not in claims


@pytest.mark.parametrize("scope", ["user", "public-read user", "integ", "trusted:user"])
async def test_marketplace_asking_another_scope_is_400_invalid_scope(
    client, services, store, scope
):
    """Anonymous tokens are exactly public-read."""
    app = await new_app(store)

    status, body, _ = await token(client, cc(app.client_id, scope=scope))

    assert status == 400
    assert body == INVALID_SCOPE


async def test_integration_client_gets_integ_session(client, services, store):
    """An integration client with its secret gets an integ token and a refresh token."""
    app = await new_app(store, kind="integration", secret="s3cret")

    body = await integ_login(client, app, "s3cret")

    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert body["scope"] == "integ" and body["token_type"] == "bearer"
    claims = services.jwt.verify(body["access_token"], services.clock())
    assert claims["sub"] == app.client_id
    assert claims["sid"].startswith(f"c-{app.client_id}.")
    assert body["refresh_token"].startswith(claims["sid"] + ".")


async def test_integration_client_by_basic_without_scope(client, services, store):
    """HTTP Basic works and a missing scope means integ."""
    app = await new_app(store, kind="integration", secret="s3cret")

    status, body, _ = await token(
        client,
        {"grant_type": "client_credentials"},
        {"Authorization": basic_auth(app.client_id, "s3cret")},
    )

    assert status == 200
    assert body["scope"] == "integ" and "refresh_token" in body


async def test_integration_client_asking_public_read_is_400(client, services, store):
    """An integration client cannot ask for another scope."""
    app = await new_app(store, kind="integration", secret="s3cret")

    status, body, _ = await token(
        client, cc(app.client_id, client_secret="s3cret", scope="public-read")
    )

    assert status == 400
    assert body == INVALID_SCOPE


@pytest.mark.parametrize("secret", [None, "wrong", "undefined"])
async def test_integration_client_without_right_secret_is_401(client, services, store, secret):
    """A missing or wrong secret is 401 invalid_client for an integration client."""
    app = await new_app(store, kind="integration", secret="s3cret")
    extra = {"client_secret": secret} if secret else {}

    status, body, _ = await token(client, cc(app.client_id, scope="integ", **extra))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_marketplace_with_secret_may_still_browse_anonymously(client, services, store):
    """A marketplace client that has a secret gets an anonymous token without sending it."""
    app = await new_app(store, secret="s3cret")

    status, body, _ = await token(client, cc(app.client_id, scope="public-read"))

    assert status == 200 and body["scope"] == "public-read"


async def test_response_and_token_sizes(client, services, store):
    """Responses stay under 4 KB and access tokens under 1 KB (the SDKs keep them in a cookie)."""
    market = await new_app(store)
    integ = await new_app(store, kind="integration", secret="s3cret")

    anon = await token(client, cc(market.client_id))
    session = await integ_login(client, integ, "s3cret")

    for body in (anon[1], session):
        assert len(orjson.dumps(body)) < 4096
        assert len(body["access_token"]) < 1024
