"""Redis faults against the live service: refused, stalled, killed, scripts flushed, memory full.

Each fault is answered 503 ``temporarily_unavailable`` with ``Retry-After`` well within the
fault bound, never 500 and never a hang; anonymous ``client_credentials`` for an app the
process already knows keeps working; and once the fault ends the same process serves again.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from redis.exceptions import OutOfMemoryError

from service.errors import StoreUnavailable
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess
from .conftest import (
    CLIENT_TTL,
    FAULT_ANSWER_BOUND,
    Api,
    World,
    assert_unavailable,
    jwt_claims,
    session_of,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def command_calls(server: RedisProcess, name: str) -> int:
    """How many times Redis ran ``name`` since the last CONFIG RESETSTAT."""
    stats = server.command("INFO", "commandstats").decode()
    match = re.search(rf"^cmdstat_{name}:calls=(\d+)", stats, re.M)
    return int(match.group(1)) if match else 0


async def signed_in(api: Api, world: World) -> tuple[str, str]:
    """(access token, refresh token) of a fresh login; the app and integration cached too."""
    login = await api.login(world.app, world.email)
    assert login.status == 200, login.body
    assert (await api.anonymous(world.app)).status == 200
    assert (await api.integration(world.integ)).status == 200
    return login.body["access_token"], login.body["refresh_token"]


async def assert_every_stateful_call_unavailable(
    api: Api, world: World, access: str, refresh: str
) -> None:
    """Every grant that needs Redis, revoke and introspect answer 503 quickly."""
    replies = [
        await api.login(world.app, world.email),
        await api.login(world.app, world.email, "wrong password"),
        await api.refresh(world.app, refresh),
        await api.integration(world.integ),
        await api.exchange(world.app, access),
        await api.revoke(refresh, access),
        await api.revoke(access, access),
        await api.introspect(world.app, refresh),
    ]
    for reply in replies:
        assert_unavailable(reply)


async def test_refused_connection_answers_503_and_recovers_without_restart(
    api: Api, world: World, fault_redis: RedisProcess, service: ServiceProcess
) -> None:
    """Redis stopped: stateful calls get a fast 503, cached anonymous access works, then recovery."""
    access, refresh = await signed_in(api, world)
    pid = service.process.pid

    fault_redis.stop()
    await assert_every_stateful_call_unavailable(api, world, access, refresh)
    await asyncio.sleep(CLIENT_TTL + 0.1)  # the app's cache entry is stale: Redis is asked
    anonymous = await api.anonymous(world.app)
    unknown_app = await api.anonymous("never-seen-app")
    ready = await api.get("/readyz")
    fault_redis.start()
    await asyncio.sleep(1.1)  # readiness is cached for one second
    again = await api.refresh(world.app, refresh)
    login = await api.login(world.app, world.email)
    ready_again = await api.get("/readyz")

    assert anonymous.status == 200 and anonymous.body["scope"] == "public-read"
    assert_unavailable(unknown_app)
    assert_unavailable(ready)
    assert again.status == 200 and session_of(again.body["refresh_token"]) == session_of(refresh)
    assert login.status == 200
    assert ready_again.status == 200
    assert service.alive and service.process.pid == pid


async def test_stall_answers_503_within_bound_and_recovers(
    api: Api, world: World, fault_redis: RedisProcess, service: ServiceProcess
) -> None:
    """SIGSTOP: every stateful call (also 20 at once) gets 503 in time; resume serves again."""
    access, refresh = await signed_in(api, world)

    fault_redis.pause()
    try:
        await assert_every_stateful_call_unavailable(api, world, access, refresh)
        await asyncio.sleep(CLIENT_TTL + 0.1)  # the app's cache entry is stale: Redis is asked
        anonymous = await api.anonymous(world.app)
        burst = await asyncio.gather(*(api.login(world.app, world.email) for _ in range(20)))
    finally:
        fault_redis.resume()
    again = await api.refresh(world.app, refresh)
    login = await api.login(world.app, world.email)

    assert anonymous.status == 200 and anonymous.body["scope"] == "public-read"
    assert anonymous.elapsed < FAULT_ANSWER_BOUND
    for reply in burst:
        assert_unavailable(reply)
    assert again.status == 200 and session_of(again.body["refresh_token"]) == session_of(refresh)
    assert login.status == 200
    assert service.alive


async def test_refresh_that_timed_out_in_a_stall_ran_once_and_session_survives(
    api: Api, world: World, fault_redis: RedisProcess, service: ServiceProcess
) -> None:
    """A refresh cut off by a stall is never retried: one EVALSHA, no reuse revocation."""
    _, refresh = await signed_in(api, world)
    fault_redis.command("CONFIG", "RESETSTAT")
    await api.anonymous(
        world.app
    )  # the app freshly cached: the refresh goes straight to its script

    fault_redis.pause()
    try:
        pending = asyncio.create_task(api.refresh(world.app, refresh))
        # Past the socket timeout, inside the request deadline: a client that retries on
        # timeout would send the script again once Redis is back, and run it twice.
        await asyncio.sleep(1.0)
    finally:
        fault_redis.resume()
    cut_off = await pending
    await asyncio.sleep(0.3)  # Redis drains what was queued while it was stopped
    script_runs = command_calls(fault_redis, "evalsha") + command_calls(fault_redis, "eval")
    first = await api.refresh(world.app, refresh)
    second = await api.refresh(world.app, first.body["refresh_token"])

    assert_unavailable(cut_off)
    assert script_runs == 1
    assert first.status == 200, first.body
    assert second.status == 200, second.body
    assert session_of(first.body["refresh_token"]) == session_of(refresh)
    assert jwt_claims(first.body["access_token"])["sub"] == world.user_id
    assert not [e for e in service.events() if e["event"] == "token.refresh_reuse_detected"]


async def test_replies_are_not_mixed_up_after_a_stall(
    api: Api, world: World, store: RedisBackend, fault_redis: RedisProcess
) -> None:
    """Commands that timed out leave no stale reply: later calls get their own answers."""
    sessions = []
    for _ in range(4):
        login = await api.login(world.app, world.email)
        sessions.append(login.body["refresh_token"])
    settings = make_settings(redis={"url": fault_redis.url})
    mine = RedisBackend(connect(settings.redis), settings.redis.prefix, deadline=2.0)
    try:
        emails = [f"mix-{i}@example.com" for i in range(10)]
        for i, email in enumerate(emails):
            await mine.redis.set(mine.keys.email(email), f"user-{i}")
        fault_redis.pause()
        try:
            stalled = await asyncio.gather(
                *(mine.users.find_id(email) for email in emails),
                *(api.refresh(world.app, token) for token in sessions),
                return_exceptions=True,
            )
        finally:
            fault_redis.resume()
        values = await asyncio.gather(*(mine.users.find_id(email) for email in emails))
        after = await asyncio.gather(*(api.refresh(world.app, token) for token in sessions))
    finally:
        await mine.close()

    assert all(isinstance(r, StoreUnavailable) for r in stalled[:10])
    for reply in stalled[10:]:
        assert_unavailable(reply)
    assert values == [f"user-{i}" for i in range(10)]
    for token, reply in zip(sessions, after, strict=True):
        assert reply.status == 200, reply.body
        assert session_of(reply.body["refresh_token"]) == session_of(token)
        assert jwt_claims(reply.body["access_token"])["sid"] == session_of(token)


async def test_kill_9_with_aof_loses_no_acknowledged_session(
    api: Api, world: World, fault_redis: RedisProcess, store: RedisBackend, service: ServiceProcess
) -> None:
    """kill -9 mid-traffic, restart on the AOF: the last refresh token each session got works."""
    latest: dict[str, str] = {}
    for _ in range(6):
        login = await api.login(world.app, world.email)
        latest[session_of(login.body["refresh_token"])] = login.body["refresh_token"]
    killed = asyncio.Event()
    failures_after_kill = 0

    async def churn() -> None:
        nonlocal failures_after_kill
        for _ in range(300):
            for session, token in list(latest.items()):
                reply = await api.refresh(world.app, token)
                if reply.status == 200:
                    latest[session] = reply.body["refresh_token"]
                else:
                    assert_unavailable(reply)
                    failures_after_kill += killed.is_set()
            login = await api.login(world.app, world.email)
            if login.status == 200:
                latest[session_of(login.body["refresh_token"])] = login.body["refresh_token"]
            if failures_after_kill >= 3:
                return

    async def kill_soon() -> None:
        await asyncio.sleep(0.4)
        await asyncio.to_thread(fault_redis.kill)
        killed.set()

    await asyncio.gather(churn(), kill_soon())
    await asyncio.to_thread(fault_redis.start)
    survivors = await asyncio.gather(*(api.refresh(world.app, t) for t in latest.values()))

    assert len(latest) >= 7
    for (session, _), reply in zip(latest.items(), survivors, strict=True):
        assert reply.status == 200, (session, reply.body)
        assert session_of(reply.body["refresh_token"]) == session
    assert service.alive


async def test_script_flush_reloads_scripts_without_an_error(
    api: Api, world: World, fault_redis: RedisProcess
) -> None:
    """After SCRIPT FLUSH every script-backed call still answers correctly (NOSCRIPT reload)."""
    access, refresh = await signed_in(api, world)

    flushed = fault_redis.command("SCRIPT", "FLUSH")
    rotated = await api.refresh(world.app, refresh)
    fault_redis.command("SCRIPT", "FLUSH")
    inspected = await api.introspect(world.app, rotated.body["refresh_token"])
    fault_redis.command("SCRIPT", "FLUSH")
    exchanged = await api.exchange(world.app, rotated.body["access_token"])
    fault_redis.command("SCRIPT", "FLUSH")
    revoked = await api.revoke(rotated.body["refresh_token"], access)
    after_revoke = await api.refresh(world.app, rotated.body["refresh_token"])

    assert flushed.startswith(b"+OK")
    assert rotated.status == 200, rotated.body
    assert inspected.status == 200 and inspected.body["active"] is True
    assert exchanged.status == 200 and exchanged.body["scope"] == "trusted:user"
    assert (revoked.status, revoked.body) == (200, {})
    assert (after_revoke.status, after_revoke.body) == (
        401,
        {
            "error": "invalid_grant",
            "error_description": "The grant is invalid, expired or revoked.",
        },
    )


async def fill_memory(fault_redis: RedisProcess, store: RedisBackend) -> int:
    """Set a tiny maxmemory (noeviction), write until Redis refuses, then keep it well over
    the limit (a small free elsewhere must not let a write through); the keys written."""
    used = int((await store.redis.info("memory"))["used_memory"])
    fault_redis.command("CONFIG", "SET", "maxmemory", str(used + 256 * 1024))
    written = 0
    try:
        while written < 1000:
            await store.redis.set(f"fill:{written}", b"x" * 8192)
            written += 1
    except OutOfMemoryError:
        used = int((await store.redis.info("memory"))["used_memory"])
        fault_redis.command("CONFIG", "SET", "maxmemory", str(used - 128 * 1024))
        return written
    raise AssertionError("Redis never refused a write")


async def test_out_of_memory_answers_503_and_stores_nothing(
    api: Api, world: World, fault_redis: RedisProcess, store: RedisBackend
) -> None:
    """maxmemory + noeviction: writing grants get 503 (never 200 unstored, never 500)."""
    _, refresh = await signed_in(api, world)
    owner, sid = session_of(refresh).split(".")
    index = store.keys.index(owner)
    sessions_before = await store.redis.zcard(index)
    digest_before = await store.redis.hget(store.keys.session(owner, sid), "cur")

    written = await fill_memory(fault_redis, store)
    replies = [
        await api.login(world.app, world.email),
        await api.login(world.app, world.email, "wrong password"),
        await api.refresh(world.app, refresh),
        await api.integration(world.integ),
    ]
    anonymous = await api.anonymous(world.app)
    sessions_during = await store.redis.zcard(index)
    digest_during = await store.redis.hget(store.keys.session(owner, sid), "cur")
    fault_redis.command("CONFIG", "SET", "maxmemory", "0")
    await store.redis.delete(*(f"fill:{i}" for i in range(written)))
    after = await api.refresh(world.app, refresh)
    login = await api.login(world.app, world.email)

    for reply in replies:
        assert_unavailable(reply)
    assert anonymous.status == 200
    assert sessions_during == sessions_before
    assert digest_during == digest_before
    assert after.status == 200 and after.body["refresh_token"] != refresh
    assert session_of(after.body["refresh_token"]) == session_of(refresh)
    assert login.status == 200


async def test_no_start_up_warning_for_a_persistent_redis_that_never_evicts(
    service: ServiceProcess,
) -> None:
    """AOF on and noeviction: the start-up check logs no redis.config warning."""
    events = service.events()

    assert any(e["event"] == "server.listening" for e in events)
    assert not [e for e in events if e["event"] == "redis.config"]
