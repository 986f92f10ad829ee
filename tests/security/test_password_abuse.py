"""Password grant abuse: throttling, proxy hops, the bounded argon2 pool, dummy hash, rehash."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from argon2 import PasswordHasher

from service.api.appkeys import SERVICES

from ..factories import make_client as add_client
from ..factories import make_user, store_of
from .helpers import (
    BAD_LOGIN,
    TOO_MANY,
    UNAVAILABLE,
    VerifyRecorder,
    post_form,
    stable_headers,
)

PASSWORD = "correct horse"


def login_form(client_id: str, username: str, password: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": client_id,
        "username": username,
        "password": password,
        "scope": "user",
    }


async def app_and_user(test_client: Any) -> tuple[Any, Any, Any]:
    services = test_client.server.app[SERVICES]
    app = await add_client(store_of(test_client))
    user = await make_user(store_of(test_client), password=PASSWORD)
    return services, app, user


async def fail_times(test_client: Any, client_id: str, usernames: list[str], **kwargs: Any) -> None:
    for name in usernames:
        status, body, _ = await post_form(
            test_client, login_form(client_id, name, "wrong"), **kwargs
        )
        assert (status, body) == (401, BAD_LOGIN)


def retry_after(resp: Any, window: int) -> int:
    value = int(resp.headers["Retry-After"])
    assert 1 <= value <= window
    return value


async def test_account_throttle_applies_identically_to_existing_and_unknown_accounts(make_client):
    """After N failures an account is throttled (429 + Retry-After), known or not, before argon2."""
    client = await make_client(throttle={"account_failures": 3, "source_failures": 1000})
    services, app, user = await app_and_user(client)
    unknown = "nobody@example.com"
    await fail_times(client, app.client_id, [user.email] * 3 + [unknown] * 3)
    recorder = VerifyRecorder(services.hasher)

    status_k, body_k, resp_k = await post_form(
        client, login_form(app.client_id, user.email, PASSWORD)
    )
    status_u, body_u, resp_u = await post_form(client, login_form(app.client_id, unknown, PASSWORD))

    assert status_k == status_u == 429
    assert body_k == body_u == TOO_MANY
    retry_after(resp_k, 900)
    retry_after(resp_u, 900)
    assert set(stable_headers(resp_k)) == set(stable_headers(resp_u))
    assert recorder.calls == []
    keys = [k async for k in store_of(client).redis.scan_iter("th:fail:acct:*")]
    assert len(keys) == 2
    for key in keys:
        assert 0 < await store_of(client).redis.ttl(key) <= 900


async def test_case_and_spaces_do_not_dodge_the_account_throttle(make_client):
    """Spelling the username with other case or surrounding spaces counts against one account."""
    client = await make_client(throttle={"account_failures": 3, "source_failures": 1000})
    services, app, user = await app_and_user(client)
    local, _, domain = user.email.partition("@")
    variants = [user.email.upper(), f"  {user.email}", f"{local.title()}@{domain.upper()} "]
    await fail_times(client, app.client_id, variants)
    status, body, _ = await post_form(client, login_form(app.client_id, user.email, PASSWORD))
    assert (status, body) == (429, TOO_MANY)


async def test_another_account_is_not_throttled_by_one_accounts_failures(make_client):
    """The per-account counter is per account: another user still logs in."""
    client = await make_client(throttle={"account_failures": 3, "source_failures": 1000})
    services, app, user = await app_and_user(client)
    await fail_times(client, app.client_id, ["victim@example.com"] * 3)
    status, _, _ = await post_form(client, login_form(app.client_id, user.email, PASSWORD))
    assert status == 200


async def test_source_throttle_spans_usernames(make_client):
    """Failures from one address across many usernames throttle that address."""
    client = await make_client(throttle={"account_failures": 1000, "source_failures": 3})
    services, app, user = await app_and_user(client)
    await fail_times(client, app.client_id, [f"spray{i}@example.com" for i in range(3)])
    status, body, resp = await post_form(client, login_form(app.client_id, user.email, PASSWORD))
    assert status == 429
    assert body == TOO_MANY
    retry_after(resp, 900)


async def test_spoofed_forwarded_for_is_ignored_without_proxy_hops(make_client):
    """With proxy_hops=0 a fresh X-Forwarded-For per request does not dodge the source limit."""
    client = await make_client(
        throttle={"account_failures": 1000, "source_failures": 3}, server={"proxy_hops": 0}
    )
    services, app, user = await app_and_user(client)
    for i in range(3):
        headers = {"X-Forwarded-For": f"198.51.100.{i}"}
        await fail_times(client, app.client_id, [f"spray{i}@example.com"], headers=headers)
    status, body, _ = await post_form(
        client,
        login_form(app.client_id, user.email, PASSWORD),
        headers={"X-Forwarded-For": "198.51.100.99"},
    )
    assert (status, body) == (429, TOO_MANY)
    keys = [k async for k in store_of(client).redis.scan_iter("th:fail:src:*")]
    assert keys == [b"th:fail:src:127.0.0.1"]


async def test_with_one_proxy_hop_the_rightmost_forwarded_address_is_the_source(make_client):
    """With proxy_hops=1 the address our proxy appended counts; a spoofed left part does not."""
    client = await make_client(
        throttle={"account_failures": 1000, "source_failures": 3}, server={"proxy_hops": 1}
    )
    services, app, user = await app_and_user(client)
    for i in range(3):
        headers = {"X-Forwarded-For": f"6.6.6.{i}, 203.0.113.7"}
        await fail_times(client, app.client_id, [f"spray{i}@example.com"], headers=headers)

    blocked = await post_form(
        client,
        login_form(app.client_id, user.email, PASSWORD),
        headers={"X-Forwarded-For": "6.6.6.200, 203.0.113.7"},
    )
    other = await post_form(
        client,
        login_form(app.client_id, user.email, PASSWORD),
        headers={"X-Forwarded-For": "203.0.113.8"},
    )

    assert blocked[:2] == (429, TOO_MANY)
    assert other[0] == 200
    keys = sorted([k async for k in store_of(client).redis.scan_iter("th:fail:src:*")])
    assert keys == [b"th:fail:src:203.0.113.7"]


async def test_unknown_user_is_verified_against_the_dummy_hash(client, services, store):
    """An unknown username costs one argon2 verification of the dummy hash, like a real user."""
    app = await add_client(store)
    user = await make_user(store, password=PASSWORD)
    recorder = VerifyRecorder(services.hasher)

    unknown = await post_form(client, login_form(app.client_id, "ghost@example.com", PASSWORD))
    wrong = await post_form(client, login_form(app.client_id, user.email, "wrong"))

    assert unknown[:2] == wrong[:2] == (401, BAD_LOGIN)
    assert stable_headers(unknown[2]) == stable_headers(wrong[2])
    assert recorder.calls == [services.hasher.dummy_hash, user.password_hash]


async def test_disabled_user_answers_like_a_wrong_password(client, services, store):
    """A disabled user with the right password gets the same 401 as a wrong password."""
    app = await add_client(store)
    user = await make_user(store, password=PASSWORD)
    await store.users.set_disabled(user.user_id, True)
    status, body, _ = await post_form(client, login_form(app.client_id, user.email, PASSWORD))
    assert (status, body) == (401, BAD_LOGIN)


async def test_login_rehashes_a_password_hashed_with_old_parameters(make_client):
    """A successful login re-hashes a password made with weaker argon2 parameters."""
    client = await make_client(hashing={"time_cost": 2, "memory_cost": 16, "parallelism": 1})
    services, app, user = await app_and_user(client)
    assert "m=8,t=1" in user.password_hash

    status, _, _ = await post_form(client, login_form(app.client_id, user.email, PASSWORD))

    assert status == 200
    stored = (await store_of(client).users.get(user.user_id)).password_hash
    assert "m=16,t=2,p=1" in stored
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_failed_login_does_not_rehash(make_client):
    """A wrong password leaves the stored hash alone."""
    client = await make_client(hashing={"time_cost": 2, "memory_cost": 16, "parallelism": 1})
    services, app, user = await app_and_user(client)
    await fail_times(client, app.client_id, [user.email])
    assert (await store_of(client).users.get(user.user_id)).password_hash == user.password_hash


async def wait_until(predicate: Any, what: str) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


async def test_full_argon2_pool_sheds_load_with_503_and_the_loop_stays_responsive(make_client):
    """With the pool busy and no queue, logins get 503 + Retry-After while /healthz and
    anonymous tokens are still served (argon2 runs off the event loop)."""
    client = await make_client(hashing={"max_concurrency": 1, "max_queue": 0})
    services, app, _ = await app_and_user(client)
    gate = threading.Event()
    recorder = VerifyRecorder(services.hasher, gate)
    try:
        first = asyncio.create_task(
            post_form(client, login_form(app.client_id, "ghost@example.com", "pw"))
        )
        await wait_until(lambda: services.hasher.stats.running == 1, "argon2 busy")

        health = await client.get("/healthz")
        shed = await asyncio.gather(
            *(
                post_form(client, login_form(app.client_id, f"u{i}@example.com", "pw"))
                for i in range(4)
            )
        )
        anonymous = await post_form(
            client, {"grant_type": "client_credentials", "client_id": app.client_id}
        )
        busy_throughout = not gate.is_set() and not first.done()
    finally:
        gate.set()
    status, body, _ = await first

    assert busy_throughout
    assert health.status == 200
    assert await health.json() == {"status": "ok"}
    assert anonymous[0] == 200
    for status_i, body_i, resp_i in shed:
        assert (status_i, body_i) == (503, UNAVAILABLE)
        assert resp_i.headers["Retry-After"] == "1"
    assert (status, body) == (401, BAD_LOGIN)
    assert services.hasher.stats.shed == 4
    assert len(recorder.calls) == 1


async def test_verifications_that_could_not_start_in_time_are_shed_at_once(make_client):
    """A long queue is allowed, but when recent verifications were slow (a flood competing for
    the CPU), a request that could not start within hashing.max_wait is shed with 503 at once
    instead of waiting: the wait is predicted from the queue ahead and recent durations."""
    client = await make_client(hashing={"max_concurrency": 1, "max_queue": 100, "max_wait": 0.05})
    services, app, _ = await app_and_user(client)
    await post_form(client, login_form(app.client_id, "warm@example.com", "pw"))
    services.hasher._recent_duration = 0.2  # as measured while the CPU is contended
    gate = threading.Event()
    VerifyRecorder(services.hasher, gate)
    try:
        first = asyncio.create_task(
            post_form(client, login_form(app.client_id, "ghost@example.com", "pw"))
        )
        await wait_until(lambda: services.hasher.stats.running == 1, "argon2 busy")
        shed = await post_form(client, login_form(app.client_id, "late@example.com", "pw"))
        still_busy = not gate.is_set()
    finally:
        gate.set()
    await first

    assert still_busy  # answered while the only verification was still running
    assert (shed[0], shed[1]) == (503, UNAVAILABLE)
    assert services.hasher.stats.shed == 1


async def test_a_short_wait_is_queued_not_shed(make_client):
    """When recent verifications were fast, the same queue position waits and succeeds."""
    client = await make_client(hashing={"max_concurrency": 1, "max_queue": 100, "max_wait": 5.0})
    services, app, _ = await app_and_user(client)
    gate = threading.Event()
    VerifyRecorder(services.hasher, gate)
    try:
        first = asyncio.create_task(
            post_form(client, login_form(app.client_id, "ghost@example.com", "pw"))
        )
        await wait_until(lambda: services.hasher.stats.running == 1, "argon2 busy")
        second = asyncio.create_task(
            post_form(client, login_form(app.client_id, "late@example.com", "pw"))
        )
        await wait_until(lambda: services.hasher.stats.waiting == 1, "second request queued")
    finally:
        gate.set()
    results = await asyncio.gather(first, second)

    assert [r[0] for r in results] == [401, 401]  # unknown users: verified, then refused
    assert services.hasher.stats.shed == 0
