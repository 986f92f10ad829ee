"""Client authentication (RFC 6749 §2.3.1): unknown and wrong look alike, secrets are never optional."""

from __future__ import annotations

import asyncio
import threading

import pytest

from service.models import Client, ClientKind
from service.oauth.clients import FAILURE_WINDOW, ClientDirectory, FailureLimiter

from ..factories import basic_auth, hash_secret, make_user, store_of
from ..factories import make_client as new_app
from ..security.helpers import VerifyRecorder
from .support import (
    INVALID_CLIENT,
    TOO_MANY,
    integ_login,
    invalid_request,
    login,
    refresh,
    services_of,
    token,
)


def cc(client_id: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, **extra}


async def test_unknown_client_and_wrong_secret_answer_identically(client, services, store):
    """An unknown client_id and a wrong secret get the same status and body."""
    app = await new_app(store, kind="integration", secret="right")

    wrong = await token(client, cc(app.client_id, client_secret="wrong"))
    unknown = await token(client, cc("no-such-client", client_secret="wrong"))

    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1] == INVALID_CLIENT
    assert "WWW-Authenticate" not in wrong[2].headers  # body credentials: no challenge


async def test_unknown_client_without_secret_is_401(client):
    """A client_id that does not exist is 401 invalid_client, even without a secret."""
    status, body, _ = await token(client, cc("no-such-client", scope="public-read"))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_missing_client_id_is_400(client):
    """A request that names no client is 400 invalid_request."""
    status, body, _ = await token(client, {"grant_type": "client_credentials"})

    assert status == 400
    assert body == invalid_request("The client_id parameter is required.")


@pytest.mark.parametrize("has_secret", [False, True])
async def test_client_secret_undefined_is_a_wrong_secret(client, services, store, has_secret):
    """`client_secret=undefined` (an SDK built without a secret) is a wrong secret, never none."""
    app = await new_app(store, secret="real" if has_secret else None)

    status, body, _ = await token(client, cc(app.client_id, client_secret="undefined"))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_integration_client_without_secret_is_401(client, services, store):
    """An integration client must prove its secret for client_credentials."""
    app = await new_app(store, kind="integration", secret="right")

    status, body, _ = await token(client, cc(app.client_id, scope="integ"))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_marketplace_client_without_secret_gets_anonymous_token(client, services, store):
    """A marketplace client_id alone may do anonymous client_credentials."""
    app = await new_app(store)

    status, body, _ = await token(client, cc(app.client_id, scope="public-read"))

    assert status == 200
    assert body["scope"] == "public-read"


async def test_marketplace_client_with_a_secret_is_never_anonymous_with_a_wrong_one(
    client, services, store
):
    """A wrong secret does not fall back to anonymous treatment."""
    app = await new_app(store, secret="right")

    status, body, _ = await token(client, cc(app.client_id, client_secret="wrong"))

    assert status == 401
    assert body == INVALID_CLIENT


async def test_right_secret_on_password_grant_is_accepted(client, services, store):
    """A generic OAuth library sending the client's secret on a password login succeeds."""
    app = await new_app(store, secret="right")
    user = await make_user(store)

    body = await login(client, app, user, client_secret="right")

    assert body["scope"] == "user"


async def test_wrong_secret_on_password_grant_is_401(client, services, store):
    """A presented secret must be right, even where the grant does not need one."""
    app = await new_app(store, secret="right")
    user = await make_user(store)

    status, body, _ = await token(
        client,
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.email,
            "password": "correct horse",
            "client_secret": "wrong",
        },
    )

    assert status == 401
    assert body == INVALID_CLIENT


async def test_secret_on_refresh_grant_must_be_right(client, services, store):
    """On refresh a right secret works, a wrong one is 401 invalid_client and consumes nothing."""
    app = await new_app(store, kind="integration", secret="right")
    session = await integ_login(client, app, "right")

    wrong = await refresh(client, app, session["refresh_token"], client_secret="wrong")
    right = await refresh(client, app, session["refresh_token"], client_secret="right")

    assert (wrong[0], wrong[1]) == (401, INVALID_CLIENT)
    assert right[0] == 200 and right[1]["refresh_token"] != session["refresh_token"]


async def test_secret_by_basic_on_refresh_grant(client, services, store):
    """HTTP Basic works on the refresh grant too."""
    app = await new_app(store, kind="integration", secret="right")
    session = await integ_login(client, app, "right")

    status, body, _ = await token(
        client,
        {"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
        {"Authorization": basic_auth(app.client_id, "right")},
    )

    assert status == 200, body


async def test_verification_cache_misses_after_secret_rotation(services, store):
    """A cached successful verification is keyed by the stored hash: a rotated secret misses."""
    directory = ClientDirectory(store.clients, services.hasher, services.settings.cache)
    old = Client("app-1", ClientKind.INTEGRATION, "app", hash_secret("old-secret"))
    rotated = Client("app-1", ClientKind.INTEGRATION, "app", hash_secret("new-secret"))

    assert await directory.verify_secret(old, "old-secret")
    assert directory.cached_secret_ok(old, "old-secret")

    assert not directory.cached_secret_ok(rotated, "old-secret")
    assert not await directory.verify_secret(rotated, "old-secret")
    assert await directory.verify_secret(rotated, "new-secret")


async def test_rotated_secret_stops_working_over_http(make_client):
    """After an operator rotates a secret, once the client record is re-read (cache.client_ttl,
    0 here) the old secret is 401, although it was cached as verified, and the new one works."""
    client = await make_client(cache={"client_ttl": 0})
    store = store_of(client)
    app = await new_app(store, kind="integration", secret="old-secret")
    await integ_login(client, app, "old-secret")  # now cached as verified

    await new_app(store, kind="integration", secret="new-secret", client_id=app.client_id)

    old = await token(client, cc(app.client_id, client_secret="old-secret"))
    assert (old[0], old[1]) == (401, INVALID_CLIENT)
    await integ_login(client, app, "new-secret")


async def test_secret_is_not_cached_for_an_unknown_client(services):
    """verify_secret against no client checks the dummy hash and fails."""
    assert not await services.clients.verify_secret(None, "anything")


async def _over_budget_while_argon2_is_busy(client, app_id: str, secret: str):
    """Hold the only argon2 slot with a login, then present ``secret`` for ``app_id``."""
    services = services_of(client)
    gate = threading.Event()
    VerifyRecorder(services.hasher, gate)
    try:
        holder = asyncio.create_task(token(client, cc(app_id, client_secret="held")))
        for _ in range(500):
            if services.hasher.saturated:
                break
            await asyncio.sleep(0.01)
        result = await token(client, cc(app_id, client_secret=secret))
    finally:
        gate.set()
    await holder
    return result


async def test_failure_limiter_answers_429_while_argon2_is_busy(make_client):
    """Over cache.client_failures wrong secrets, while argon2 is saturated, the client id is
    answered 429 + Retry-After without waiting for a verification."""
    client = await make_client(cache={"client_failures": 3}, hashing={"max_concurrency": 1})
    app = await new_app(store_of(client), kind="integration", secret="right")
    statuses = [
        (await token(client, cc(app.client_id, client_secret="wrong")))[0] for _ in range(3)
    ]

    status, body, resp = await _over_budget_while_argon2_is_busy(client, app.client_id, "right")

    assert statuses == [401, 401, 401]
    assert status == 429
    assert body == TOO_MANY
    assert 1 <= int(resp.headers["Retry-After"]) <= FAILURE_WINDOW + 1


async def test_failure_budget_does_not_lock_out_the_real_client_when_argon2_is_free(make_client):
    """After a burst of wrong secrets, the right secret still works once argon2 has a free
    slot: a flood cannot keep the real client out after it ends."""
    client = await make_client(cache={"client_failures": 3})
    app = await new_app(store_of(client), kind="integration", secret="right")
    for _ in range(5):
        await token(client, cc(app.client_id, client_secret="wrong"))

    status, body, _ = await token(client, cc(app.client_id, client_secret="right"))

    assert status == 200
    assert body["scope"] == "integ"


async def test_failure_limiter_counts_unknown_clients_too(make_client):
    """Guessing unknown client ids is limited like wrong secrets."""
    client = await make_client(cache={"client_failures": 2}, hashing={"max_concurrency": 1})
    for _ in range(2):
        assert (await token(client, cc("ghost", client_secret="x")))[0] == 401

    status, body, resp = await _over_budget_while_argon2_is_busy(client, "ghost", "x")

    assert status == 429
    assert body == TOO_MANY
    assert "Retry-After" in resp.headers


def test_failure_limiter_window_slides():
    """Failures older than the window no longer count."""
    now = [1000.0]
    limiter = FailureLimiter(2, lambda: now[0])

    limiter.record("k")
    limiter.record("k")
    blocked = limiter.retry_after("k")
    now[0] += FAILURE_WINDOW + 1

    assert blocked == FAILURE_WINDOW + 1
    assert limiter.retry_after("k") == 0
    assert limiter.retry_after("other") == 0
