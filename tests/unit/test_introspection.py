"""Introspection (RFC 7662): a confidential client sees only its own live tokens."""

from __future__ import annotations

import pytest

from service.oauth.tokens import RefreshToken
from service.owners import Owner

from ..factories import make_client as new_app
from ..factories import make_user, store_of
from .support import (
    INTROSPECT,
    INVALID_CLIENT,
    REVOKE,
    expired_access_token,
    invalid_request,
    login,
    post,
    refresh,
    services_of,
)

INACTIVE = {"active": False}
APP_SECRET = "s3cret"


async def confidential_app(store):
    return await new_app(store, secret=APP_SECRET)


async def user_session(client, services):
    store = store_of(client)
    app = await confidential_app(store)
    user = await make_user(store)
    return app, user, await login(client, app, user)


async def introspect(client, app, token_text):
    status, body, _ = await post(
        client,
        INTROSPECT,
        {"client_id": app.client_id, "client_secret": APP_SECRET, "token": token_text},
    )
    assert status == 200, body
    return body


async def test_live_access_token_is_active(client, services):
    """A live user access token is active with its claims."""
    app, user, session = await user_session(client, services)
    claims = services.jwt.verify(session["access_token"], services.clock())

    body = await introspect(client, app, session["access_token"])

    assert body == {"active": True, "token_type": "bearer", "token_use": "access_token", **claims}
    assert body["sub"] == user.user_id and body["scope"] == "user"


async def test_live_refresh_token_is_active(client, services):
    """A live refresh token is active with its client, scope, subject and session."""
    app, user, session = await user_session(client, services)

    body = await introspect(client, app, session["refresh_token"])

    assert (body["active"], body["token_type"], body["token_use"]) == (
        True,
        "bearer",
        "refresh_token",
    )
    assert (body["client_id"], body["scope"], body["sub"]) == (app.client_id, "user", user.user_id)
    assert session["refresh_token"].startswith(body["sid"] + ".")
    assert body["exp"] > body["iat"]


async def test_anonymous_token_is_active(client, services):
    """An anonymous token is active and has no session."""
    app = await confidential_app(store_of(client))
    _, anon, _ = await post(
        client, "/v1/auth/token", {"grant_type": "client_credentials", "client_id": app.client_id}
    )

    body = await introspect(client, app, anon["access_token"])

    assert body["active"] is True and body["scope"] == "public-read" and "sid" not in body


async def test_client_with_secret_authenticates_with_it(client, services):
    """A client that has a secret introspects with it; without it the answer is 401."""
    app, _, session = await user_session(client, services)

    ok = await introspect(client, app, session["access_token"])
    status, body, _ = await post(
        client, INTROSPECT, {"client_id": app.client_id, "token": session["access_token"]}
    )

    assert ok["active"] is True
    assert (status, body) == (401, INVALID_CLIENT)


@pytest.mark.parametrize("secret", [None, "", "undefined"])
async def test_public_client_is_401_whatever_it_presents(client, services, store, secret):
    """A client without a secret cannot introspect: no secret, an empty or a made-up one."""
    app = await new_app(store)
    form = {"client_id": app.client_id, "token": "x"}
    if secret is not None:
        form["client_secret"] = secret

    status, body, _ = await post(client, INTROSPECT, form)

    assert (status, body) == (401, INVALID_CLIENT)


async def test_missing_token_is_400(client, services):
    """The token parameter is required (asked once the client has authenticated)."""
    app = await confidential_app(store_of(client))

    status, body, _ = await post(
        client, INTROSPECT, {"client_id": app.client_id, "client_secret": APP_SECRET}
    )

    assert (status, body) == (400, invalid_request("The token parameter is required."))


@pytest.mark.parametrize("seconds_ago", [10, 600])
async def test_expired_access_token_is_inactive(client, services, seconds_ago):
    """An access token past exp is inactive, even within the verification leeway."""
    app, user, session = await user_session(client, services)
    sid = services.jwt.verify(session["access_token"], services.clock())["sid"]
    expired = expired_access_token(services, app, user, ttl=1, ago=seconds_ago, sid=sid)

    assert await introspect(client, app, expired) == INACTIVE


async def test_revoked_access_token_is_inactive(client, services):
    """An access token whose jti was revoked is inactive."""
    app, _, session = await user_session(client, services)
    access = session["access_token"]
    await post(client, REVOKE, {"token": access}, {"Authorization": f"Bearer {access}"})

    assert await introspect(client, app, access) == INACTIVE


async def test_revoked_session_makes_both_tokens_inactive(client, services):
    """After the refresh token is revoked, its session's access and refresh tokens are inactive."""
    app, _, session = await user_session(client, services)
    await post(
        client,
        REVOKE,
        {"token": session["refresh_token"]},
        {"Authorization": f"Bearer {session['access_token']}"},
    )

    assert await introspect(client, app, session["access_token"]) == INACTIVE
    assert await introspect(client, app, session["refresh_token"]) == INACTIVE


@pytest.mark.parametrize("which", ["session", "index"])
async def test_deleted_session_key_makes_tokens_inactive(client, services, store, which):
    """Deleting the session key (or the owner's index) makes its tokens inactive."""
    app, _, session = await user_session(client, services)
    owner, sid, _ = session["refresh_token"].split(".")
    keys = store.keys
    await store.redis.delete(keys.session(owner, sid) if which == "session" else keys.index(owner))

    assert await introspect(client, app, session["access_token"]) == INACTIVE
    assert await introspect(client, app, session["refresh_token"]) == INACTIVE


async def test_another_clients_tokens_are_inactive(client, services):
    """A client cannot see another client's tokens, access or refresh."""
    _, _, victim = await user_session(client, services)
    other = await confidential_app(store_of(client))

    assert await introspect(client, other, victim["access_token"]) == INACTIVE
    assert await introspect(client, other, victim["refresh_token"]) == INACTIVE


async def test_rotated_out_refresh_token_after_grace_is_inactive(make_client):
    """With strict rotation the previous refresh token is inactive; the current one active."""
    client = await make_client(tokens={"refresh_grace": 0})
    services = services_of(client)
    app, _, session = await user_session(client, services)
    rotated = await refresh(client, app, session["refresh_token"])

    assert await introspect(client, app, session["refresh_token"]) == INACTIVE
    assert (await introspect(client, app, rotated[1]["refresh_token"]))["active"] is True


@pytest.mark.parametrize("text", ["garbage", "a.b.c", RefreshToken.new(Owner.user("x")).value])
async def test_unknown_tokens_are_inactive(client, services, text):
    """Garbage and unknown tokens are inactive, not errors."""
    app = await confidential_app(store_of(client))

    assert await introspect(client, app, text) == INACTIVE
