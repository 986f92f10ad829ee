"""Revocation (RFC 7009): the SDK form and the standard form; unknown and foreign tokens are 200."""

from __future__ import annotations

import pytest

from service.oauth.tokens import RefreshToken
from service.owners import Owner

from ..factories import basic_auth, make_user, store_of
from ..factories import make_client as new_app
from .support import (
    INTROSPECT,
    INVALID_CLIENT,
    INVALID_GRANT,
    REVOKE,
    assert_no_store,
    expired_access_token,
    integ_login,
    invalid_request,
    login,
    post,
    refresh,
)

INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token is invalid, expired or revoked.",
}


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


APP_SECRET = "app-s3cret"


async def user_session(client, services, **app_kw):
    store = store_of(client)
    app = await new_app(store, **{"secret": APP_SECRET, **app_kw})
    user = await make_user(store)
    return app, user, await login(client, app, user)


async def introspect(client, app, token_text, secret=APP_SECRET):
    """Introspection by the app itself (a confidential client)."""
    data = {"client_id": app.client_id, "client_secret": secret, "token": token_text}
    status, body, _ = await post(client, INTROSPECT, data)
    assert status == 200, body
    return body


async def test_sdk_form_revokes_the_session(client, services):
    """token=<refresh token> + Bearer access token: 200 {}, then refresh is 401, access inactive."""
    app, _, session = await user_session(client, services)

    status, body, resp = await post(
        client, REVOKE, {"token": session["refresh_token"]}, bearer(session["access_token"])
    )

    assert (status, body) == (200, {})
    assert_no_store(resp)
    after = await refresh(client, app, session["refresh_token"])
    assert (after[0], after[1]) == (401, INVALID_GRANT)
    assert await introspect(client, app, session["access_token"]) == {"active": False}


async def test_revocation_ends_rotated_siblings_too(client, services):
    """Revoking the previous (grace) token ends the session: the current token fails as well."""
    app, _, session = await user_session(client, services)
    rotated = await refresh(client, app, session["refresh_token"])

    await post(
        client, REVOKE, {"token": session["refresh_token"]}, bearer(rotated[1]["access_token"])
    )

    after = await refresh(client, app, rotated[1]["refresh_token"])
    assert (after[0], after[1]) == (401, INVALID_GRANT)


async def test_rfc7009_form_with_basic(client, services, store):
    """An integration client revokes with HTTP Basic and token_type_hint."""
    app = await new_app(store, kind="integration", secret="s3cret")
    session = await integ_login(client, app, "s3cret")

    status, body, _ = await post(
        client,
        REVOKE,
        {"token": session["refresh_token"], "token_type_hint": "refresh_token"},
        {"Authorization": basic_auth(app.client_id, "s3cret")},
    )

    assert (status, body) == (200, {})
    after = await refresh(client, app, session["refresh_token"])
    assert (after[0], after[1]) == (401, INVALID_GRANT)


async def test_rfc7009_form_with_body_credentials(client, services):
    """A client revokes with client_id and client_secret in the body."""
    app, _, session = await user_session(client, services, secret="s3cret")

    status, body, _ = await post(
        client,
        REVOKE,
        {"token": session["refresh_token"], "client_id": app.client_id, "client_secret": "s3cret"},
    )

    assert (status, body) == (200, {})
    after = await refresh(client, app, session["refresh_token"])
    assert (after[0], after[1]) == (401, INVALID_GRANT)


async def test_wrong_client_secret_is_401(client, services):
    """The standard form with a wrong secret is 401 invalid_client and revokes nothing."""
    app, _, session = await user_session(client, services, secret="s3cret")

    status, body, _ = await post(
        client,
        REVOKE,
        {"token": session["refresh_token"], "client_id": app.client_id, "client_secret": "nope"},
    )

    assert (status, body) == (401, INVALID_CLIENT)
    assert (await refresh(client, app, session["refresh_token"]))[0] == 200


async def test_client_with_secret_must_present_it(client, services):
    """A client that has a secret cannot revoke by naming itself only."""
    app, _, session = await user_session(client, services, secret="s3cret")

    status, body, _ = await post(
        client, REVOKE, {"token": session["refresh_token"], "client_id": app.client_id}
    )

    assert (status, body) == (401, INVALID_CLIENT)


@pytest.mark.parametrize("kind", ["well-formed", "garbage"])
async def test_unknown_token_is_200(client, services, kind):
    """An unknown token is answered 200 {} (RFC 7009 §2.2)."""
    _, _, session = await user_session(client, services)
    text = RefreshToken.new(Owner.user("nobody")).value if kind == "well-formed" else "garbage"

    status, body, _ = await post(client, REVOKE, {"token": text}, bearer(session["access_token"]))

    assert (status, body) == (200, {})


async def test_already_revoked_token_is_200(client, services):
    """Revoking twice as the client is 200 both times."""
    app, _, session = await user_session(client, services)
    form = {"token": session["refresh_token"]}

    first = await post(
        client, REVOKE, form, {"Authorization": basic_auth(app.client_id, APP_SECRET)}
    )
    second = await post(
        client, REVOKE, form, {"Authorization": basic_auth(app.client_id, APP_SECRET)}
    )

    assert (first[0], second[0]) == (200, 200)


async def test_bearer_of_an_ended_session_is_401(client, services):
    """SDK form twice: the second Bearer belongs to the ended session, so 401 invalid_token."""
    _, _, session = await user_session(client, services)
    form = {"token": session["refresh_token"]}

    first = await post(client, REVOKE, form, bearer(session["access_token"]))
    second = await post(client, REVOKE, form, bearer(session["access_token"]))

    assert (first[0], first[1]) == (200, {})
    assert (second[0], second[1]) == (401, INVALID_TOKEN)


async def test_another_clients_refresh_token_is_200_and_stays_alive(client, services):
    """Revoking another client's refresh token answers 200 and changes nothing."""
    owner_app, _, victim = await user_session(client, services)
    _, _, attacker = await user_session(client, services)

    status, body, _ = await post(
        client, REVOKE, {"token": victim["refresh_token"]}, bearer(attacker["access_token"])
    )

    assert (status, body) == (200, {})
    assert (await refresh(client, owner_app, victim["refresh_token"]))[0] == 200


async def test_another_clients_access_token_is_200_and_stays_alive(client, services):
    """Revoking another client's access token answers 200 and it stays active."""
    owner_app, _, victim = await user_session(client, services)
    _, _, attacker = await user_session(client, services)

    status, body, _ = await post(
        client, REVOKE, {"token": victim["access_token"]}, bearer(attacker["access_token"])
    )

    assert (status, body) == (200, {})
    assert (await introspect(client, owner_app, victim["access_token"]))["active"] is True


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer eyJhbGciOiJub25lIn0.e30."])
async def test_invalid_bearer_is_401(client, services, header):
    """A present but invalid Bearer token is 401 invalid_token: the SDK refreshes and retries."""
    _, _, session = await user_session(client, services)

    status, body, resp = await post(
        client, REVOKE, {"token": session["refresh_token"]}, {"Authorization": header}
    )

    assert (status, body) == (401, INVALID_TOKEN)
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_expired_bearer_is_401(client, services):
    """An expired Bearer token is 401 invalid_token."""
    app, user, session = await user_session(client, services)
    expired = expired_access_token(services, app, user, ttl=10, ago=600)

    status, body, _ = await post(
        client, REVOKE, {"token": session["refresh_token"]}, bearer(expired)
    )

    assert (status, body) == (401, INVALID_TOKEN)


async def test_bearer_past_exp_beyond_the_leeway_is_401(client, services):
    """A Bearer token 6 s past exp (leeway 5 s) is 401 invalid_token: the SDK refreshes."""
    app, user, session = await user_session(client, services)
    sid = services.jwt.verify(session["access_token"], services.clock())["sid"]
    expired = expired_access_token(services, app, user, ttl=10, ago=16, sid=sid)

    status, body, _ = await post(
        client, REVOKE, {"token": session["refresh_token"]}, bearer(expired)
    )

    assert (status, body) == (401, INVALID_TOKEN)
    assert (await refresh(client, app, session["refresh_token"]))[0] == 200


async def test_missing_token_is_400(client, services):
    """The token parameter is required."""
    _, _, session = await user_session(client, services)

    status, body, _ = await post(
        client, REVOKE, {"token_type_hint": "refresh_token"}, bearer(session["access_token"])
    )

    assert (status, body) == (400, invalid_request("The token parameter is required."))


async def test_access_token_revocation_puts_jti_in_revocation_set(
    client, services, store, settings
):
    """Revoking an access token stores its jti for its remaining life plus the leeway; inactive."""
    app, user, session = await user_session(client, services)
    claims = services.jwt.verify(session["access_token"], services.clock())

    status, body, _ = await post(
        client, REVOKE, {"token": session["access_token"]}, bearer(session["access_token"])
    )

    assert (status, body) == (200, {})
    key = store.keys.revoked(Owner.user(user.user_id), claims["jti"])
    ttl = await store.redis.pttl(key)
    tokens = settings.tokens
    assert tokens.access_ttl * 1000 < ttl <= (tokens.access_ttl + tokens.leeway) * 1000
    assert await introspect(client, app, session["access_token"]) == {"active": False}
    assert (await refresh(client, app, session["refresh_token"]))[0] == 200  # session lives on


async def test_anonymous_access_token_revocation(client, services, store):
    """An anonymous token's jti goes into the owner-less revocation set."""
    app = await new_app(store, secret=APP_SECRET)
    _, anon, _ = await post(
        client, "/v1/auth/token", {"grant_type": "client_credentials", "client_id": app.client_id}
    )
    jti = services.jwt.verify(anon["access_token"], services.clock())["jti"]

    status, body, _ = await post(
        client,
        REVOKE,
        {"token": anon["access_token"], "client_id": app.client_id, "client_secret": APP_SECRET},
    )

    assert (status, body) == (200, {})
    assert await store.redis.exists(store.keys.revoked(None, jti))
    assert await introspect(client, app, anon["access_token"]) == {"active": False}
