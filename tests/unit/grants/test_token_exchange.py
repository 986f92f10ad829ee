"""token_exchange (RFC 8693, Sharetribe style): a live user token + secret -> trusted:user."""

from __future__ import annotations

import orjson
import pytest

from service.crypto.jwt import JwtCodec, generate_pem, load_key

from ...factories import make_client as new_app
from ...factories import make_user, store_of
from ..support import (
    ACCESS_TOKEN_TYPE,
    BAD_SUBJECT,
    EXCHANGE_URN,
    INVALID_CLIENT,
    INVALID_SCOPE,
    REVOKE,
    UNAUTHORIZED_CLIENT,
    anonymous,
    expired_access_token,
    integ_login,
    invalid_request,
    login,
    services_of,
    token,
)

SECRET = "s3cret"


async def setup_login(client, services):
    store = store_of(client)
    app = await new_app(store, secret=SECRET)
    user = await make_user(store)
    return app, user, await login(client, app, user)


def exchange_form(app, subject: str, grant_type: str = "token_exchange", **extra) -> dict[str, str]:
    return {
        "grant_type": grant_type,
        "client_id": app.client_id,
        "client_secret": SECRET,
        "subject_token": subject,
        **extra,
    }


async def exchange(client, app, subject, **kw):
    return await token(client, exchange_form(app, subject, **kw))


@pytest.mark.parametrize("grant_type", ["token_exchange", EXCHANGE_URN])
async def test_exchange_returns_trusted_user_token(client, services, grant_type):
    """A live user token and the secret get a trusted:user token (also via the RFC 8693 URN)."""
    app, user, session = await setup_login(client, services)

    status, body, _ = await exchange(client, app, session["access_token"], grant_type=grant_type)

    assert status == 200, body
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "issued_token_type"}
    assert body["scope"] == "trusted:user" and body["token_type"] == "bearer"
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["access_token"] != session["access_token"]
    claims = services.jwt.verify(body["access_token"], services.clock())
    subject = services.jwt.verify(session["access_token"], services.clock())
    assert (claims["sub"], claims["sid"], claims["scope"]) == (
        user.user_id,
        subject["sid"],
        "trusted:user",
    )


async def test_rfc8693_token_types_naming_access_tokens_are_accepted(client, services):
    """subject_token_type / requested_token_type naming an access token are accepted."""
    app, _, session = await setup_login(client, services)

    status, body, _ = await exchange(
        client,
        app,
        session["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        requested_token_type=ACCESS_TOKEN_TYPE,
        scope="trusted:user",
    )

    assert status == 200, body


@pytest.mark.parametrize("name", ["subject_token_type", "requested_token_type"])
async def test_other_token_types_are_400(client, services, name):
    """A token type other than access_token is 400 invalid_request."""
    app, _, session = await setup_login(client, services)

    status, body, _ = await exchange(
        client,
        app,
        session["access_token"],
        **{name: "urn:ietf:params:oauth:token-type:refresh_token"},
    )

    assert status == 400
    assert body == invalid_request(f"Only access tokens are supported as {name}.")


async def test_missing_subject_token_is_400(client, services, store):
    """subject_token is required."""
    app = await new_app(store, secret=SECRET)

    status, body, _ = await exchange(client, app, "")

    assert status == 400
    assert body == invalid_request("The subject_token parameter is required.")


@pytest.mark.parametrize("scope", ["user", "public-read", "trusted:user user"])
async def test_other_scope_is_400(client, services, scope):
    """The exchange issues exactly trusted:user."""
    app, _, session = await setup_login(client, services)

    status, body, _ = await exchange(client, app, session["access_token"], scope=scope)

    assert status == 400
    assert body == INVALID_SCOPE


@pytest.mark.parametrize("secret", [None, "wrong", "undefined"])
async def test_missing_or_wrong_secret_is_401(client, services, secret):
    """The exchange needs the client's secret: missing or wrong is 401 invalid_client."""
    app, _, session = await setup_login(client, services)
    form = exchange_form(app, session["access_token"])
    form.pop("client_secret")
    if secret:
        form["client_secret"] = secret

    status, body, _ = await token(client, form)

    assert status == 401
    assert body == INVALID_CLIENT


async def test_client_without_a_secret_cannot_exchange(client, services, store):
    """A marketplace client that has no secret is 401 invalid_client."""
    app = await new_app(store)
    user = await make_user(store)
    session = await login(client, app, user)

    status, body, _ = await token(
        client,
        {
            "grant_type": "token_exchange",
            "client_id": app.client_id,
            "subject_token": session["access_token"],
        },
    )

    assert status == 401
    assert body == INVALID_CLIENT


async def test_integration_client_is_400_unauthorized_client(client, services, store):
    """Integration clients may not use token_exchange."""
    app = await new_app(store, kind="integration", secret=SECRET)
    integ = await integ_login(client, app, SECRET)

    status, body, _ = await exchange(client, app, integ["access_token"])

    assert status == 400
    assert body == UNAUTHORIZED_CLIENT


async def test_garbage_subject_token_is_401(client, services, store):
    """A subject_token that is no JWT of ours is 401 invalid_grant."""
    app = await new_app(store, secret=SECRET)

    status, body, _ = await exchange(client, app, "not-a-token")

    assert status == 401
    assert body == BAD_SUBJECT


async def test_expired_subject_token_is_401(client, services):
    """A user token expired beyond the leeway is 401 invalid_grant."""
    app, user, session = await setup_login(client, services)
    sid = services.jwt.verify(session["access_token"], services.clock())["sid"]
    expired = expired_access_token(services, app, user, ttl=10, ago=600, sid=sid)

    status, body, _ = await exchange(client, app, expired)

    assert status == 401
    assert body == BAD_SUBJECT


@pytest.mark.parametrize(("seconds_past_exp", "status"), [(4, 200), (6, 401), (30, 401)])
async def test_subject_token_gets_the_few_seconds_of_leeway_only(
    client, services, seconds_past_exp, status
):
    """tokens.leeway (5 s): a subject token 4 s past exp exchanges; 6 s or 30 s past is 401."""
    app, user, session = await setup_login(client, services)
    sid = services.jwt.verify(session["access_token"], services.clock())["sid"]
    subject = expired_access_token(services, app, user, ttl=10, ago=10 + seconds_past_exp, sid=sid)

    answer, _, _ = await exchange(client, app, subject)

    assert answer == status


async def test_leeway_setting_reaches_subject_token_checks(make_client):
    """TOKENHOUSE_TOKENS__LEEWAY=0: a subject token 1 s past exp is refused."""
    client = await make_client(tokens={"leeway": 0})
    services = services_of(client)
    app, user, session = await setup_login(client, services)
    sid = services.jwt.verify(session["access_token"], services.clock())["sid"]
    subject = expired_access_token(services, app, user, ttl=10, ago=11, sid=sid)

    status, body, _ = await exchange(client, app, subject)

    assert (status, body) == (401, BAD_SUBJECT)


async def test_revoked_subject_token_is_401(client, services):
    """An access token revoked through /v1/auth/revoke no longer exchanges."""
    app, _, session = await setup_login(client, services)
    access = session["access_token"]
    resp = await client.post(
        REVOKE, data={"token": access}, headers={"Authorization": f"Bearer {access}"}
    )
    assert resp.status == 200

    status, body, _ = await exchange(client, app, access)

    assert status == 401
    assert body == BAD_SUBJECT


async def test_subject_of_a_revoked_session_is_401(client, services):
    """After logout (refresh token revoked) the session's access token does not exchange."""
    app, _, session = await setup_login(client, services)
    resp = await client.post(
        REVOKE,
        data={"token": session["refresh_token"]},
        headers={"Authorization": f"Bearer {session['access_token']}"},
    )
    assert resp.status == 200

    status, body, _ = await exchange(client, app, session["access_token"])

    assert status == 401
    assert body == BAD_SUBJECT


async def test_subject_token_of_another_client_is_401(client, services, store):
    """A user token issued to another client is 401 invalid_grant."""
    app = await new_app(store, secret=SECRET)
    _, _, other_session = await setup_login(client, services)

    status, body, _ = await exchange(client, app, other_session["access_token"])

    assert status == 401
    assert body == BAD_SUBJECT


async def test_anonymous_token_as_subject_is_401(client, services, store):
    """An anonymous public-read token of the same client is not a user token."""
    app = await new_app(store, secret=SECRET)
    anon = await anonymous(client, app)

    status, body, _ = await exchange(client, app, anon["access_token"])

    assert status == 401
    assert body == BAD_SUBJECT


async def test_integ_token_as_subject_is_401(client, services, store):
    """An integration client's token is not a user token."""
    app = await new_app(store, secret=SECRET)
    integ_app = await new_app(store, kind="integration", secret="other")
    integ = await integ_login(client, integ_app, "other")

    status, body, _ = await exchange(client, app, integ["access_token"])

    assert status == 401
    assert body == BAD_SUBJECT


async def test_trusted_token_as_subject_is_401(client, services):
    """A trusted:user token cannot be exchanged again."""
    app, _, session = await setup_login(client, services)
    trusted = await exchange(client, app, session["access_token"])
    assert trusted[0] == 200

    status, body, _ = await exchange(client, app, trusted[1]["access_token"])

    assert status == 401
    assert body == BAD_SUBJECT


async def test_subject_signed_by_a_foreign_key_is_401(client, services, signing_key):
    """A user-shaped token signed by a key that is not ours is 401 invalid_grant."""
    app, user, session = await setup_login(client, services)
    claims = services.jwt.verify(session["access_token"], services.clock())
    foreign = JwtCodec(
        [load_key(signing_key[1], generate_pem("ES256"), "ES256")],
        signing_key[1],
        algorithm="ES256",
        issuer=services.jwt.issuer,
        audience=services.jwt.audience,
    )

    status, body, _ = await exchange(client, app, foreign.sign(claims))

    assert status == 401
    assert body == BAD_SUBJECT


async def test_response_and_token_sizes(client, services):
    """An exchange response stays under 4 KB and its access token under 1 KB."""
    app, _, session = await setup_login(client, services)

    _, body, _ = await exchange(client, app, session["access_token"])

    assert len(orjson.dumps(body)) < 4096
    assert len(body["access_token"]) < 1024
