"""The happy paths of every grant through the HTTP layer (fakeredis)."""

from __future__ import annotations

from ..factories import make_client, make_user


async def test_anonymous_client_credentials_returns_public_read_token(client, services):
    """A marketplace client_id alone gets a public-read token and no refresh token."""
    app = await make_client(services.store)
    resp = await client.post("/v1/auth/token", data={"grant_type": "client_credentials", "client_id": app.client_id, "scope": "public-read"})
    body = await resp.json()
    assert resp.status == 200
    assert body["scope"] == "public-read" and body["token_type"] == "bearer"
    assert "refresh_token" not in body
    assert resp.headers["Cache-Control"] == "no-store"


async def test_password_then_refresh_then_exchange(client, services):
    """Password login, a refresh, and a token exchange all succeed in sequence."""
    app = await make_client(services.store, secret="s3cret")
    user = await make_user(services.store, password="pw")
    resp = await client.post("/v1/auth/token", data={"grant_type": "password", "client_id": app.client_id, "username": user.email, "password": "pw", "scope": "user"})
    assert resp.status == 200, await resp.text()
    login = await resp.json()
    resp = await client.post("/v1/auth/token", data={"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": login["refresh_token"]})
    assert resp.status == 200, await resp.text()
    refreshed = await resp.json()
    assert refreshed["refresh_token"] != login["refresh_token"] and refreshed["scope"] == "user"
    resp = await client.post("/v1/auth/token", data={"grant_type": "token_exchange", "client_id": app.client_id, "client_secret": "s3cret", "subject_token": refreshed["access_token"]})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["scope"] == "trusted:user"
