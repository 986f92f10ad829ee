"""The login throttle's counters on real Redis: windows, what a success gives back, IPv6 sources."""

from __future__ import annotations

import pytest

from ..factories import make_client, make_user, store_of
from ..flows import BAD_LOGIN, TOO_MANY, login, ok, password_form, post

pytestmark = pytest.mark.integration

PASSWORD = "correct horse"
WINDOW = 900


async def app_and_user(client):
    store = store_of(client)
    return store, await make_client(store), await make_user(store, password=PASSWORD)


async def fail(client, app, email: str, times: int = 1, **headers: str) -> None:
    for _ in range(times):
        status, body = await post(
            client, "/v1/auth/token", password_form(app.client_id, email, "wrong"), headers=headers
        )
        assert (status, body) == (401, BAD_LOGIN)


async def test_a_success_clears_the_account_and_gives_the_source_back_one_attempt(make_app, raw):
    """After failures then a success: no account counter; the source keeps its earlier failures."""
    client = await make_app(throttle={"account_failures": 10, "source_failures": 10})
    store, app, user = await app_and_user(client)
    await fail(client, app, user.email, 3)

    await ok(login(client, app.client_id, user.email, PASSWORD))

    assert await raw.exists(store.keys.failures_account(user.email)) == 0
    source = store.keys.failures_source("127.0.0.1")
    assert await raw.get(source) == b"3"
    assert 0 < await raw.ttl(source) <= WINDOW


async def test_logging_into_an_own_account_does_not_reset_a_sources_guesses(make_app):
    """An attacker's valid login gives back only its own attempt: the source stays limited."""
    client = await make_app(throttle={"account_failures": 100, "source_failures": 4})
    _, app, attacker = await app_and_user(client)
    for victim in range(3):
        await fail(client, app, f"victim{victim}@example.com")

    await ok(login(client, app.client_id, attacker.email, PASSWORD))
    await fail(client, app, "victim3@example.com")
    status, body = await login(client, app.client_id, "victim4@example.com", "guess")

    assert (status, body) == (429, TOO_MANY)


async def test_a_refusal_by_the_source_limit_does_not_count_against_the_account(make_app, raw):
    """A 429 from the source counter leaves the account's counter as it was."""
    client = await make_app(throttle={"account_failures": 100, "source_failures": 2})
    store, app, user = await app_and_user(client)
    await fail(client, app, "spray@example.com", 2)

    status, body = await login(client, app.client_id, user.email, "guess")

    assert (status, body) == (429, TOO_MANY)
    assert await raw.exists(store.keys.failures_account(user.email)) == 0
    assert await raw.get(store.keys.failures_source("127.0.0.1")) == b"2"


async def test_a_counter_left_without_a_ttl_gets_the_window_at_the_next_attempt(client, raw):
    """A counter with no TTL (the old SET NX + INCR race) is given the window again."""
    store, app, user = await app_and_user(client)
    key = store.keys.failures_account(user.email)
    await raw.set(key, 3)

    await fail(client, app, user.email)

    assert await raw.get(key) == b"4"
    assert 0 < await raw.ttl(key) <= WINDOW


async def test_an_account_at_the_limit_without_a_ttl_is_not_locked_forever(make_app, raw):
    """At the limit with no TTL: 429 with a Retry-After inside the window, and the key expires."""
    client = await make_app(throttle={"account_failures": 3})
    store, app, user = await app_and_user(client)
    key = store.keys.failures_account(user.email)
    await raw.set(key, 3)

    resp = await client.post(
        "/v1/auth/token", data=password_form(app.client_id, user.email, PASSWORD)
    )

    assert (resp.status, await resp.json()) == (429, TOO_MANY)
    assert 1 <= int(resp.headers["Retry-After"]) <= WINDOW
    assert 0 < await raw.ttl(key) <= WINDOW


async def test_addresses_of_one_ipv6_64_share_a_source_counter(make_app, raw):
    """Source throttling counts an IPv6 /64 as one source; another /64 is not throttled."""
    client = await make_app(
        throttle={"account_failures": 100, "source_failures": 3}, server={"proxy_hops": 1}
    )
    store, app, user = await app_and_user(client)
    for i, address in enumerate(("2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2:ffff::1")):
        await fail(client, app, f"spray{i}@example.com", **{"X-Forwarded-For": address})

    same = await post(
        client,
        "/v1/auth/token",
        password_form(app.client_id, user.email, PASSWORD),
        headers={"X-Forwarded-For": "2001:db8:1:2::99"},
    )
    other = await post(
        client,
        "/v1/auth/token",
        password_form(app.client_id, user.email, PASSWORD),
        headers={"X-Forwarded-For": "2001:db8:1:3::1"},
    )

    assert same == (429, TOO_MANY)
    assert other[0] == 200
    keys = sorted([k async for k in raw.scan_iter("th:fail:src:*")])
    assert keys == [b"th:fail:src:2001:db8:1:2::/64"]


async def test_an_ipv4_mapped_ipv6_source_counts_as_its_ipv4_address(make_app, raw):
    """::ffff:203.0.113.7 and 203.0.113.7 are one source."""
    client = await make_app(
        throttle={"account_failures": 100, "source_failures": 10}, server={"proxy_hops": 1}
    )
    _, app, _ = await app_and_user(client)

    await fail(client, app, "a@example.com", **{"X-Forwarded-For": "::ffff:203.0.113.7"})
    await fail(client, app, "b@example.com", **{"X-Forwarded-For": "203.0.113.7"})

    assert await raw.get("th:fail:src:203.0.113.7") == b"2"
