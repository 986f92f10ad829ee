"""Login attempts in flight on a real redis-server: what holds a counter at its limit, and what
each way an attempt ends leaves counted."""

from __future__ import annotations

import time

import pytest
from redis.crc import key_slot

from service.store.records import AtLimit, AttemptEnd, Counted, InFlight, LoginCounter

from ..factories import make_client, make_user, store_of
from ..flows import TOO_MANY, login, ok, password_form

pytestmark = pytest.mark.integration

ACCOUNT = LoginCounter.account("a@example.com")


async def begin(store, times: int = 1, limit: int = 3) -> list:
    return [await store.throttle.begin(ACCOUNT, limit=limit, window=900) for _ in range(times)]


async def test_an_in_flight_count_lives_in_its_counters_cluster_slot(store):
    """busy:{<counter key>} hashes to the counter key's own slot (one-slot scripts in a Cluster)."""
    for key in (store.keys.failures_account("a@example.com"), store.keys.failures_source("::/64")):
        assert key_slot(store.keys.in_flight(key).encode()) == key_slot(key.encode())


async def test_at_the_limit_with_attempts_in_flight_the_answer_is_to_wait(store, raw):
    """Three attempts in flight hold a limit of three: a fourth is told to wait, counting nothing."""
    counted = await begin(store, 3)

    fourth = await store.throttle.begin(ACCOUNT, limit=3, window=900)

    assert counted == [Counted(1), Counted(2), Counted(3)]
    assert fourth == InFlight(3)
    key = store.keys.failures_account("a@example.com")
    assert (await raw.get(key), await raw.get(store.keys.in_flight(key))) == (b"3", b"3")


async def test_attempts_that_failed_hold_the_limit_for_the_window(store):
    """Once the attempts in flight have failed, the limit refuses with the seconds left."""
    await begin(store, 3)
    for _ in range(3):
        await store.throttle.end(ACCOUNT, AttemptEnd.FAILED)

    refused = await store.throttle.begin(ACCOUNT, limit=3, window=900)

    assert isinstance(refused, AtLimit) and 890 < refused.retry_after <= 900


async def test_failures_alone_at_the_limit_refuse_even_with_attempts_in_flight(store):
    """Two failures and one in flight of a limit of two: no success can free it, so refused."""
    await begin(store, 2, limit=2)
    await store.throttle.end(ACCOUNT, AttemptEnd.FAILED)
    await store.throttle.end(ACCOUNT, AttemptEnd.FAILED)
    await store.throttle.count(ACCOUNT, limit=3, window=900)  # an attempt without in-flight mark
    await begin(store, 1, limit=4)  # in flight: 1; counted: 4

    refused = await store.throttle.begin(ACCOUNT, limit=3, window=900)

    assert isinstance(refused, AtLimit)


async def test_a_success_clears_the_failures_but_not_the_attempts_still_in_flight(store, raw):
    """Three in flight, one succeeds: the counter keeps the two still in flight, TTL kept."""
    await begin(store, 3)
    key = store.keys.failures_account("a@example.com")

    await store.throttle.end(ACCOUNT, AttemptEnd.SUCCEEDED)

    assert (await raw.get(key), await raw.get(store.keys.in_flight(key))) == (b"2", b"2")
    assert 890 < await raw.ttl(key) <= 900
    await store.throttle.end(ACCOUNT, AttemptEnd.SUCCEEDED)
    await store.throttle.end(ACCOUNT, AttemptEnd.SUCCEEDED)
    assert await raw.exists(key, store.keys.in_flight(key)) == 0


async def test_an_attempt_given_back_is_uncounted_and_no_longer_in_flight(store, raw):
    """GIVEN_BACK takes one off both the counter and the in-flight count."""
    await begin(store, 2)
    key = store.keys.failures_account("a@example.com")

    await store.throttle.end(ACCOUNT, AttemptEnd.GIVEN_BACK)

    assert (await raw.get(key), await raw.get(store.keys.in_flight(key))) == (b"1", b"1")
    assert 0 < await raw.ttl(store.keys.in_flight(key)) <= 60


async def test_a_login_held_by_attempts_that_never_end_waits_busy_wait_then_429(make_app, raw):
    """Attempts in flight that never end (their worker died): a login waits busy_wait, then 429."""
    client = await make_app(throttle={"account_failures": 2, "busy_wait": 0.3})
    store = store_of(client)
    app, user = await make_client(store), await make_user(store, password="right")
    key = store.keys.failures_account(user.email)
    await raw.set(key, 2, ex=900)
    await raw.set(store.keys.in_flight(key), 2, ex=60)

    started = time.monotonic()
    resp = await client.post(
        "/v1/auth/token", data=password_form(app.client_id, user.email, "right")
    )

    assert (resp.status, await resp.json()) == (429, TOO_MANY)
    assert time.monotonic() - started >= 0.3
    assert resp.headers["Retry-After"] == "1"
    await raw.delete(store.keys.in_flight(key))
    status, _ = await login(client, app.client_id, user.email, "right")
    assert status == 429  # the two counted stay counted: the window must pass
    await raw.delete(key)
    await ok(login(client, app.client_id, user.email, "right"))
