"""The Lua scripts on a real redis-server: results and TTLs as their header comments say."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from service.oauth.tokens import RefreshToken
from service.owners import Owner, SessionRef
from service.store.records import (
    REJECTED,
    REUSED,
    WIDER_SCOPE,
    AtLimit,
    Counted,
    GraceReplay,
    LoginCounter,
    RefreshResult,
    Rotated,
    SessionLimits,
)
from service.store.redis import RedisBackend

pytestmark = pytest.mark.integration

OWNER = Owner("u-0b6f1c2e-1111-4222-8333-944455556666")
REF = SessionRef(OWNER, "A" * 22)
IDLE_MS = 60_000
MAX_MS = 600_000


@pytest.fixture(autouse=True)
async def owner_user(store):
    """OWNER's user record: a user's session scripts require the user to exist."""
    await store.redis.hset(store.keys.user(OWNER[2:]), mapping={"email": "o@example.com"})


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def create(
    store: RedisBackend,
    sid: str = "A" * 22,
    *,
    idle_ms: int = IDLE_MS,
    max_ms: int = MAX_MS,
    cap: int = 100,
    token: str = "t0",
) -> int:
    return await store.sessions.create(
        SessionRef(OWNER, sid),
        client_id="cid-1",
        scope="user",
        digest=digest(token),
        limits=SessionLimits(idle_ms=idle_ms, max_ms=max_ms, grace_ms=60_000, cap=cap),
    )


async def rotate(
    store: RedisBackend,
    presented: str,
    new: str,
    *,
    sid: str = "A" * 22,
    client_id: str = "cid-1",
    grace_ms: int = 60_000,
    idle_ms: int = IDLE_MS,
    scope: str = "",
) -> RefreshResult:
    return await store.sessions.rotate(
        SessionRef(OWNER, sid),
        client_id=client_id,
        presented=digest(presented),
        successor=digest(new),
        wrapped=b"w-" + new.encode(),
        scope=scope,
        limits=SessionLimits(idle_ms=idle_ms, max_ms=MAX_MS, grace_ms=grace_ms, cap=100),
    )


async def test_create_session_sets_idle_ttl_and_index_expiry(store, raw):
    """create_session: session TTL = idle TTL, index expires at the absolute expiry, the hash
    holds the creation time."""
    before = int(time.time() * 1000)
    ae = await create(store)
    session, index = store.keys.session(OWNER, "A" * 22), store.keys.index(OWNER)
    session_pttl = await raw.pttl(session)
    index_pttl = await raw.pttl(index)
    fields = await raw.hgetall(session)
    assert before + MAX_MS - 1000 <= ae <= before + MAX_MS + 1000
    assert IDLE_MS - 1000 < session_pttl <= IDLE_MS
    assert MAX_MS - 2000 < index_pttl <= MAX_MS
    assert await raw.zscore(index, "A" * 22) == ae
    assert fields[b"cid"] == b"cid-1" and fields[b"scope"] == b"user"
    assert abs(int(fields[b"t"]) - before // 1000) <= 2  # the creation time, seconds
    assert fields == {
        b"cid": b"cid-1",
        b"scope": b"user",
        b"cur": digest("t0"),
        b"t": fields[b"t"],
    }  # expiry: index only


async def test_create_session_ttl_never_exceeds_absolute_lifetime(store, raw):
    """An idle TTL longer than the lifetime is cut to the lifetime."""
    await create(store, idle_ms=600_000, max_ms=5_000)
    assert 0 < await raw.pttl(store.keys.session(OWNER, "A" * 22)) <= 5_000


async def test_index_expires_with_its_longest_lived_session(store, raw):
    """The index key's PEXPIREAT is the largest absolute expiry among its sessions."""
    await create(store, "A" * 22, max_ms=600_000)
    await create(store, "B" * 22, idle_ms=5_000, max_ms=10_000)
    assert 590_000 < await raw.pttl(store.keys.index(OWNER)) <= 600_000


async def test_create_session_drops_oldest_past_cap(store, raw):
    """Past the cap the oldest session's key and index entry are removed."""
    for i, sid in enumerate(("A" * 22, "B" * 22, "C" * 22)):
        await create(store, sid, cap=2, max_ms=MAX_MS + i)
    members = await raw.zrange(store.keys.index(OWNER), 0, -1)
    assert members == [b"B" * 22, b"C" * 22]
    assert not await raw.exists(store.keys.session(OWNER, "A" * 22))


async def test_refresh_rotates_current_token(store, raw):
    """The current token rotates (Rotated: scope, ttl); cur/prev move on, and the wrapped
    successor waits in the grace key, which expires with the grace window."""
    await create(store)
    result = await rotate(store, "t0", "t1")
    fields = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    grace = store.keys.grace(OWNER, "A" * 22)
    assert isinstance(result, Rotated) and result.scope == "user"
    assert IDLE_MS - 1000 < result.ttl_ms <= IDLE_MS
    assert fields == {
        b"cid": b"cid-1",
        b"scope": b"user",
        b"cur": digest("t1"),
        b"prev": digest("t0"),
        b"t": fields[b"t"],
    }
    assert await raw.get(grace) == b"w-t1"
    assert 50_000 < await raw.pttl(grace) <= 60_000


async def test_refresh_previous_token_in_grace_returns_current_wrap(store, raw):
    """The previous token within grace answers GraceReplay(scope, ttl, wrap), rotates nothing."""
    await create(store)
    await rotate(store, "t0", "t1")
    result = await rotate(store, "t0", "t2")
    fields = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    assert isinstance(result, GraceReplay)
    assert result.scope == "user" and result.wrapped == b"w-t1"
    assert fields[b"cur"] == digest("t1")


async def test_refresh_previous_token_after_grace_revokes_session(store, raw):
    """The previous token after the grace window answers Reused and deletes the session."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=0)
    result = await rotate(store, "t0", "t2")
    assert result == REUSED
    assert not await raw.exists(store.keys.session(OWNER, "A" * 22))
    assert await raw.zscore(store.keys.index(OWNER), "A" * 22) is None


async def test_refresh_unknown_foreign_or_missing_changes_nothing(store, raw):
    """Unknown token, other client, or no session answer Rejected; the session is unchanged."""
    await create(store)
    key = store.keys.session(OWNER, "A" * 22)
    before = await raw.hgetall(key)
    unknown = await rotate(store, "forged", "t1")
    foreign = await rotate(store, "t0", "t1", client_id="cid-2")
    missing = await rotate(store, "t0", "t1", sid="Z" * 22)
    assert unknown == REJECTED and foreign == REJECTED and missing == REJECTED
    assert await raw.hgetall(key) == before


async def test_refresh_wider_scope_changes_nothing(store, raw):
    """A scope wider than the session's answers WiderScope; the current token stays."""
    await create(store)
    result = await rotate(store, "t0", "t1", scope="user integ")
    assert result == WIDER_SCOPE
    assert await raw.hget(store.keys.session(OWNER, "A" * 22), "cur") == digest("t0")


async def test_refresh_ttl_is_capped_by_absolute_expiry(store, raw):
    """Rotation sets the TTL to min(idle, time left): it never extends the lifetime."""
    await create(store, idle_ms=3_000, max_ms=3_000)
    await asyncio.sleep(0.2)
    result = await rotate(store, "t0", "t1", idle_ms=3_000)
    assert isinstance(result, Rotated) and result.ttl_ms < 2_900
    assert await raw.pttl(store.keys.session(OWNER, "A" * 22)) <= result.ttl_ms


async def test_refresh_session_missing_from_index_is_invalid(store, raw):
    """A session whose index entry was removed is dead for refresh."""
    await create(store)
    await raw.delete(store.keys.index(OWNER))
    assert await rotate(store, "t0", "t1") == REJECTED


async def test_revoke_session_needs_live_token_and_owner_client(store, raw):
    """revoke_session: a wrong token or client revokes nothing; the right one deletes both keys."""
    await create(store)
    await rotate(store, "t0", "t1")
    wrong_token = await store.sessions.revoke(REF, digest=digest("nope"), client_id="cid-1")
    wrong_client = await store.sessions.revoke(REF, digest=digest("t1"), client_id="cid-2")
    alive = await raw.exists(store.keys.session(OWNER, "A" * 22))
    by_previous = await store.sessions.revoke(REF, digest=digest("t0"), client_id="cid-1")
    assert (wrong_token, wrong_client, alive, by_previous) == (False, False, 1, True)
    assert not await raw.exists(store.keys.session(OWNER, "A" * 22))
    assert await raw.zscore(store.keys.index(OWNER), "A" * 22) is None


async def test_check_session_live_revoked_and_unindexed(store, raw):
    """check_session: live -> (cid, scope, ttl); revoked jti or missing index entry -> None."""
    await create(store)
    live = await store.sessions.check(REF, "jti-1")
    await store.revocations.revoke(OWNER, "jti-1", 30_000)
    revoked = await store.sessions.check(REF, "jti-1")
    other = await store.sessions.check(REF, "jti-2")
    await raw.zrem(store.keys.index(OWNER), "A" * 22)
    unindexed = await store.sessions.check(REF, "jti-2")
    assert live is not None and (live.client_id, live.scope) == ("cid-1", "user")
    assert 0 < live.ttl_ms <= IDLE_MS
    assert revoked is None and other is not None and unindexed is None


async def test_revoked_access_token_key_ttl_is_remaining_life(store, raw):
    """The revoked-jti key expires with the token: TTL = its remaining life."""
    await store.revocations.revoke(OWNER, "jti-1", 30_000)
    await store.revocations.revoke(None, "jti-anon", 5_000)
    assert 29_000 < await raw.pttl(store.keys.revoked(OWNER, "jti-1")) <= 30_000
    assert 4_000 < await raw.pttl(store.keys.revoked(None, "jti-anon")) <= 5_000


async def test_inspect_refresh_current_previous_and_unknown(store, raw):
    """inspect_refresh: current and in-grace previous are active, others not; nothing changes."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=60_000)
    before = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    current = await store.sessions.inspect(REF, digest("t1"))
    previous = await store.sessions.inspect(REF, digest("t0"))
    unknown = await store.sessions.inspect(REF, digest("x"))
    assert current is not None and (current.client_id, current.scope) == ("cid-1", "user")
    assert previous is not None and (previous.client_id, previous.scope) == ("cid-1", "user")
    assert unknown is None
    assert await raw.hgetall(store.keys.session(OWNER, "A" * 22)) == before


async def test_inspect_refresh_previous_after_grace_is_inactive(store):
    """The previous token after the grace window is inactive (and not revoked by inspecting)."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=0)
    assert await store.sessions.inspect(REF, digest("t0")) is None
    assert await store.sessions.inspect(REF, digest("t1")) is not None


async def test_throttle_counters_count_up_to_the_limit_within_the_window(store, raw):
    """count_attempt counts up to the limit, then refuses with the seconds left, counting nothing."""
    key = store.keys.failures_account("a@example.com")
    counter = LoginCounter.account("a@example.com")

    counted = [await store.throttle.count(counter, limit=2, window=900) for _ in range(3)]

    assert counted[:2] == [Counted(1), Counted(2)]
    assert isinstance(counted[2], AtLimit) and 890 < counted[2].retry_after <= 900
    assert await raw.get(key) == b"2"
    assert 890 < await raw.ttl(key) <= 900


async def test_forgiving_an_attempt_keeps_the_window(store, raw):
    """One attempt given back decrements and keeps the TTL; forgiving all deletes the counter."""
    key = store.keys.failures_source("10.0.0.1")
    counter = LoginCounter.source("10.0.0.1")
    for _ in range(3):
        await store.throttle.count(counter, limit=10, window=900)

    await store.throttle.forgive(counter)
    after_one = (await raw.get(key), await raw.ttl(key))
    await store.throttle.forgive(counter, everything=True)

    assert after_one[0] == b"2" and 890 < after_one[1] <= 900
    assert await raw.exists(key) == 0


async def test_real_refresh_token_round_trip_through_wrap(store):
    """A real RefreshToken's wrap, stored by the script, unwraps to the current token."""
    first = RefreshToken.new(OWNER, "A" * 22)
    limits = SessionLimits(idle_ms=IDLE_MS, max_ms=MAX_MS, grace_ms=60_000, cap=10)
    await store.sessions.create(
        first.ref, client_id="cid-1", scope="user", digest=first.digest, limits=limits
    )
    second = RefreshToken.new(OWNER, first.sid)
    await store.sessions.rotate(
        first.ref,
        client_id="cid-1",
        presented=first.digest,
        successor=second.digest,
        wrapped=first.wrap(second),
        scope="",
        limits=limits,
    )
    again = await store.sessions.rotate(
        first.ref,
        client_id="cid-1",
        presented=first.digest,
        successor=b"x" * 32,
        wrapped=b"y" * 32,
        scope="",
        limits=limits,
    )
    assert isinstance(again, GraceReplay)
    assert first.unwrap(again.wrapped).value == second.value
