"""password grant (RFC 6749 §4.3): logins, identical failures, throttling and rehash."""

from __future__ import annotations

import uuid

import orjson
import pytest
from argon2 import PasswordHasher

from service.models import User

from ...factories import hash_secret, make_user, store_of
from ...factories import make_client as new_app
from ..support import (
    BAD_LOGIN,
    INVALID_CLIENT,
    INVALID_SCOPE,
    PASSWORD,
    TOO_MANY,
    UNAUTHORIZED_CLIENT,
    assert_no_store,
    invalid_request,
    login,
    services_of,
    token,
)


def pw(client_id: str, username: str, password: str = PASSWORD, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": client_id,
        "username": username,
        "password": password,
        **extra,
    }


@pytest.mark.parametrize("scope", [{"scope": "user"}, {}])
async def test_login_returns_user_session(client, services, store, settings, scope):
    """A right password gets a user token and a refresh token (scope user by default)."""
    app = await new_app(store)
    user = await make_user(store)

    status, body, resp = await token(client, pw(app.client_id, user.email, **scope))

    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert body["token_type"] == "bearer" and body["scope"] == "user"
    assert body["expires_in"] == settings.tokens.access_ttl
    assert_no_store(resp)
    claims = services.jwt.verify(body["access_token"], services.clock())
    assert (claims["sub"], claims["client_id"], claims["scope"]) == (
        user.user_id,
        app.client_id,
        "user",
    )
    assert claims["sid"] == f"u-{user.user_id}." + body["refresh_token"].split(".")[1]


async def test_username_is_case_insensitive(client, services, store):
    """The email used as username matches regardless of case."""
    app = await new_app(store)
    user = await make_user(store, email="Mixed.Case@Example.com")

    status, body, _ = await token(client, pw(app.client_id, "mixed.case@EXAMPLE.com"))

    assert status == 200, body
    assert user.email.lower() == "mixed.case@example.com"


async def test_wrong_password_is_401_invalid_grant(client, services, store):
    """A wrong password is 401 invalid_grant."""
    app = await new_app(store)
    user = await make_user(store)

    status, body, _ = await token(client, pw(app.client_id, user.email, "wrong"))

    assert status == 401
    assert body == BAD_LOGIN


async def test_unknown_user_is_401_invalid_grant(client, services, store):
    """An unknown username is 401 invalid_grant."""
    app = await new_app(store)

    status, body, _ = await token(client, pw(app.client_id, "nobody@example.com"))

    assert status == 401
    assert body == BAD_LOGIN


async def test_wrong_password_and_unknown_user_answer_identically(client, services, store):
    """Wrong password and unknown user: same status, body and headers that matter."""
    app = await new_app(store)
    user = await make_user(store)

    wrong = await token(client, pw(app.client_id, user.email, "wrong"))
    unknown = await token(client, pw(app.client_id, "nobody@example.com", "wrong"))

    assert (wrong[0], wrong[1]) == (unknown[0], unknown[1])
    for name in ("WWW-Authenticate", "Retry-After", "Cache-Control"):
        assert wrong[2].headers.get(name) == unknown[2].headers.get(name)


async def test_disabled_user_cannot_log_in(client, services, store):
    """A disabled user with the right password gets the same 401 as a wrong password."""
    app = await new_app(store)
    user = User(str(uuid.uuid4()), "off@example.com", hash_secret(PASSWORD), disabled=True)
    await store.users.create(user)

    status, body, _ = await token(client, pw(app.client_id, user.email))

    assert status == 401
    assert body == BAD_LOGIN


async def test_integration_client_may_not_use_password(client, services, store):
    """The password grant is for marketplace clients only: 400 unauthorized_client."""
    app = await new_app(store, kind="integration", secret="s3cret")
    user = await make_user(store)

    status, body, _ = await token(client, pw(app.client_id, user.email, client_secret="s3cret"))

    assert status == 400
    assert body == UNAUTHORIZED_CLIENT


@pytest.mark.parametrize("scope", ["trusted:user", "public-read", "user integ"])
async def test_other_scope_is_400_invalid_scope(client, services, store, scope):
    """A password login issues exactly the user scope."""
    app = await new_app(store)
    user = await make_user(store)

    status, body, _ = await token(client, pw(app.client_id, user.email, scope=scope))

    assert status == 400
    assert body == INVALID_SCOPE


@pytest.mark.parametrize("missing", ["username", "password"])
async def test_missing_parameter_is_400(client, services, store, missing):
    """username and password are required."""
    app = await new_app(store)
    data = pw(app.client_id, "a@example.com")
    data[missing] = ""  # empty counts as absent

    status, body, _ = await token(client, data)

    assert status == 400
    assert body == invalid_request(f"The {missing} parameter is required.")


async def test_missing_grant_type_is_400(client, services, store):
    """A request without grant_type is 400 invalid_request."""
    app = await new_app(store)

    status, body, _ = await token(client, {"client_id": app.client_id})

    assert status == 400
    assert body == invalid_request("The grant_type parameter is required.")


@pytest.mark.parametrize("grant_type", ["implicit", "device_code", "PASSWORD", "urn:x"])
async def test_unknown_grant_type_is_400_unsupported(client, services, store, grant_type):
    """An unknown grant_type is 400 unsupported_grant_type."""
    app = await new_app(store)

    status, body, _ = await token(client, {"grant_type": grant_type, "client_id": app.client_id})

    assert status == 400
    assert body == {
        "error": "unsupported_grant_type",
        "error_description": "The grant type is not supported.",
    }


async def test_unknown_client_is_401(client, services, store):
    """A password login naming an unknown client is 401 invalid_client."""
    user = await make_user(store)

    status, body, _ = await token(client, pw("ghost-app", user.email))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_unknown_parameters_are_ignored(client, services, store):
    """RFC 6749 §3.2: unrecognized parameters are ignored."""
    app = await new_app(store)
    user = await make_user(store)

    status, body, _ = await token(client, pw(app.client_id, user.email, foo="bar", state="x"))

    assert status == 200, body


async def test_login_rehashes_when_argon2_parameters_changed(client, services, store):
    """After a login, a hash made with other argon2 parameters is replaced with a current one."""
    app = await new_app(store)
    old_hash = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    user = User(str(uuid.uuid4()), "old@example.com", old_hash)
    await store.users.create(user)

    await login(client, app, user)

    stored = (await store.users.get(user.user_id)).password_hash
    assert stored != old_hash
    assert not services.hasher.needs_rehash(stored)
    assert await services.hasher.verify(stored, PASSWORD)
    await login(client, app, user)


async def test_login_keeps_a_current_hash(client, services, store):
    """A hash with the current parameters is left alone."""
    app = await new_app(store)
    user = await make_user(store)

    await login(client, app, user)

    assert (await store.users.get(user.user_id)).password_hash == user.password_hash


async def test_throttling_is_identical_for_unknown_and_existing_accounts(make_client):
    """Past throttle.account_failures both get 429 + Retry-After with the same body."""
    client = await make_client(throttle={"account_failures": 2})
    services = services_of(client)
    app = await new_app(store_of(client))
    user = await make_user(store_of(client))
    window = services.settings.throttle.window

    answers = {}
    for username in (user.email, "nobody@example.com"):
        for _ in range(2):
            assert (await token(client, pw(app.client_id, username, "wrong")))[0] == 401
        answers[username] = await token(client, pw(app.client_id, username, PASSWORD))

    known, unknown = answers[user.email], answers["nobody@example.com"]
    assert known[0] == unknown[0] == 429
    assert known[1] == unknown[1] == TOO_MANY
    for answer in (known, unknown):
        assert window - 5 <= int(answer[2].headers["Retry-After"]) <= window


async def test_throttled_account_blocks_even_the_right_password(make_client):
    """Once throttled, the right password is also answered 429 (no oracle)."""
    client = await make_client(throttle={"account_failures": 1})
    store = store_of(client)
    app = await new_app(store)
    user = await make_user(store)

    await token(client, pw(app.client_id, user.email, "wrong"))
    status, body, resp = await token(client, pw(app.client_id, user.email))

    assert status == 429
    assert body == TOO_MANY
    assert "Retry-After" in resp.headers


async def test_successful_login_resets_the_account_counter(make_client):
    """A right password clears the account's failed-login count."""
    client = await make_client(throttle={"account_failures": 2})
    store = store_of(client)
    app = await new_app(store)
    user = await make_user(store)

    await token(client, pw(app.client_id, user.email, "wrong"))
    await login(client, app, user)
    await token(client, pw(app.client_id, user.email, "wrong"))

    await login(client, app, user)


async def test_source_throttling_spans_accounts(make_client):
    """Failures from one address across many usernames hit throttle.source_failures."""
    client = await make_client(throttle={"source_failures": 3})
    store = store_of(client)
    app = await new_app(store)

    for i in range(3):
        assert (await token(client, pw(app.client_id, f"u{i}@example.com", "x")))[0] == 401
    status, body, resp = await token(client, pw(app.client_id, "fresh@example.com", "x"))

    assert status == 429
    assert body == TOO_MANY
    assert "Retry-After" in resp.headers


async def test_response_and_token_sizes(client, services, store):
    """A login response stays under 4 KB and its access token under 1 KB."""
    app = await new_app(store)
    user = await make_user(store, email=("a" * 200) + "@example.com")

    body = await login(client, app, user)

    assert len(orjson.dumps(body)) < 4096
    assert len(body["access_token"]) < 1024
