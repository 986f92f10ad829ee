"""The Lua scripts on a real redis-server: results and TTLs as their header comments say."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from service.oauth.tokens import RefreshToken
from service.store.redis import RedisStore

pytestmark = pytest.mark.integration

OWNER = "u-0b6f1c2e-1111-4222-8333-944455556666"
IDLE_MS = 60_000
MAX_MS = 600_000


@pytest.fixture(autouse=True)
async def owner_user(store):
    """OWNER's user record: a user's session scripts require the user to exist."""
    await store.redis.hset(store.keys.user(OWNER[2:]), mapping={"email": "o@example.com"})


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def create(
    store: RedisStore,
    sid: str = "A" * 22,
    *,
    idle_ms: int = IDLE_MS,
    max_ms: int = MAX_MS,
    cap: int = 100,
    token: str = "t0",
) -> int:
    return await store.create_session(
        OWNER, sid, "cid-1", "user", digest(token), idle_ms=idle_ms, max_ms=max_ms, cap=cap
    )


async def rotate(
    store: RedisStore,
    presented: str,
    new: str,
    *,
    sid: str = "A" * 22,
    client_id: str = "cid-1",
    grace_ms: int = 60_000,
    idle_ms: int = IDLE_MS,
    scope: str = "",
) -> list:
    return await store.refresh_session(
        OWNER,
        sid,
        digest(presented),
        client_id,
        digest(new),
        b"w-" + new.encode(),
        grace_ms=grace_ms,
        idle_ms=idle_ms,
        scope=scope,
    )


async def test_create_session_sets_idle_ttl_and_index_expiry(store, raw):
    """create_session: session TTL = idle TTL, index expires at the absolute expiry."""
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
    assert fields == {
        b"cid": b"cid-1",
        b"scope": b"user",
        b"cur": digest("t0"),
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
    """The current token rotates: {1, scope, ttl}; cur/prev move on, and the wrapped successor
    waits in the grace key, which expires with the grace window."""
    await create(store)
    result = await rotate(store, "t0", "t1")
    fields = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    grace = store.keys.grace(OWNER, "A" * 22)
    assert result[0] == 1 and result[1] == b"user" and IDLE_MS - 1000 < result[2] <= IDLE_MS
    assert fields == {
        b"cid": b"cid-1",
        b"scope": b"user",
        b"cur": digest("t1"),
        b"prev": digest("t0"),
    }
    assert await raw.get(grace) == b"w-t1"
    assert 50_000 < await raw.pttl(grace) <= 60_000


async def test_refresh_previous_token_in_grace_returns_current_wrap(store, raw):
    """The previous token within grace answers {2, scope, ttl, wrap} and rotates nothing."""
    await create(store)
    await rotate(store, "t0", "t1")
    result = await rotate(store, "t0", "t2")
    fields = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    assert result[0] == 2 and result[1] == b"user" and result[3] == b"w-t1"
    assert fields[b"cur"] == digest("t1")


async def test_refresh_previous_token_after_grace_revokes_session(store, raw):
    """The previous token after the grace window answers {3} and deletes the session."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=0)
    result = await rotate(store, "t0", "t2")
    assert result == [3]
    assert not await raw.exists(store.keys.session(OWNER, "A" * 22))
    assert await raw.zscore(store.keys.index(OWNER), "A" * 22) is None


async def test_refresh_unknown_foreign_or_missing_changes_nothing(store, raw):
    """Unknown token, other client, or no session answer {0} and leave the session as it was."""
    await create(store)
    key = store.keys.session(OWNER, "A" * 22)
    before = await raw.hgetall(key)
    unknown = await rotate(store, "forged", "t1")
    foreign = await rotate(store, "t0", "t1", client_id="cid-2")
    missing = await rotate(store, "t0", "t1", sid="Z" * 22)
    assert unknown == [0] and foreign == [0] and missing == [0]
    assert await raw.hgetall(key) == before


async def test_refresh_wider_scope_changes_nothing(store, raw):
    """A scope wider than the session's answers {4}; the current token stays."""
    await create(store)
    result = await rotate(store, "t0", "t1", scope="user integ")
    assert result == [4]
    assert await raw.hget(store.keys.session(OWNER, "A" * 22), "cur") == digest("t0")


async def test_refresh_ttl_is_capped_by_absolute_expiry(store, raw):
    """Rotation sets the TTL to min(idle, time left): it never extends the lifetime."""
    await create(store, idle_ms=3_000, max_ms=3_000)
    await asyncio.sleep(0.2)
    result = await rotate(store, "t0", "t1", idle_ms=3_000)
    assert result[0] == 1 and result[2] < 2_900
    assert await raw.pttl(store.keys.session(OWNER, "A" * 22)) <= result[2]


async def test_refresh_session_missing_from_index_is_invalid(store, raw):
    """A session whose index entry was removed is dead for refresh."""
    await create(store)
    await raw.delete(store.keys.index(OWNER))
    assert await rotate(store, "t0", "t1") == [0]


async def test_revoke_session_needs_live_token_and_owner_client(store, raw):
    """revoke_session: a wrong token or client revokes nothing; the right one deletes both keys."""
    await create(store)
    await rotate(store, "t0", "t1")
    wrong_token = await store.revoke_session(OWNER, "A" * 22, digest("nope"), "cid-1")
    wrong_client = await store.revoke_session(OWNER, "A" * 22, digest("t1"), "cid-2")
    alive = await raw.exists(store.keys.session(OWNER, "A" * 22))
    by_previous = await store.revoke_session(OWNER, "A" * 22, digest("t0"), "cid-1")
    assert (wrong_token, wrong_client, alive, by_previous) == (False, False, 1, True)
    assert not await raw.exists(store.keys.session(OWNER, "A" * 22))
    assert await raw.zscore(store.keys.index(OWNER), "A" * 22) is None


async def test_check_session_live_revoked_and_unindexed(store, raw):
    """check_session: live -> (cid, scope, ttl); revoked jti or missing index entry -> None."""
    await create(store)
    live = await store.check_session(OWNER, "A" * 22, "jti-1")
    await store.revoke_access_token(OWNER, "jti-1", 30_000)
    revoked = await store.check_session(OWNER, "A" * 22, "jti-1")
    other = await store.check_session(OWNER, "A" * 22, "jti-2")
    await raw.zrem(store.keys.index(OWNER), "A" * 22)
    unindexed = await store.check_session(OWNER, "A" * 22, "jti-2")
    assert live is not None and live[:2] == ("cid-1", "user") and 0 < live[2] <= IDLE_MS
    assert revoked is None and other is not None and unindexed is None


async def test_revoked_access_token_key_ttl_is_remaining_life(store, raw):
    """The revoked-jti key expires with the token: TTL = its remaining life."""
    await store.revoke_access_token(OWNER, "jti-1", 30_000)
    await store.revoke_access_token(None, "jti-anon", 5_000)
    assert 29_000 < await raw.pttl(store.keys.revoked(OWNER, "jti-1")) <= 30_000
    assert 4_000 < await raw.pttl(store.keys.revoked(None, "jti-anon")) <= 5_000


async def test_inspect_refresh_current_previous_and_unknown(store, raw):
    """inspect_refresh: current and in-grace previous are active, others not; nothing changes."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=60_000)
    before = await raw.hgetall(store.keys.session(OWNER, "A" * 22))
    current = await store.inspect_refresh(OWNER, "A" * 22, digest("t1"))
    previous = await store.inspect_refresh(OWNER, "A" * 22, digest("t0"))
    unknown = await store.inspect_refresh(OWNER, "A" * 22, digest("x"))
    assert current is not None and current[:2] == ("cid-1", "user")
    assert previous is not None and previous[:2] == ("cid-1", "user")
    assert unknown is None
    assert await raw.hgetall(store.keys.session(OWNER, "A" * 22)) == before


async def test_inspect_refresh_previous_after_grace_is_inactive(store):
    """The previous token after the grace window is inactive (and not revoked by inspecting)."""
    await create(store)
    await rotate(store, "t0", "t1", grace_ms=0)
    assert await store.inspect_refresh(OWNER, "A" * 22, digest("t0")) is None
    assert await store.inspect_refresh(OWNER, "A" * 22, digest("t1")) is not None


async def test_throttle_counters_count_up_to_the_limit_within_the_window(store, raw):
    """count_attempt counts up to the limit, then refuses with the seconds left, counting nothing."""
    key = store.keys.failures_account("a@example.com")

    counted = [await store.count_attempt(key, 2, 900) for _ in range(3)]

    assert counted[:2] == [(True, 1), (True, 2)]
    assert counted[2][0] is False and 890 < counted[2][1] <= 900
    assert await raw.get(key) == b"2"
    assert 890 < await raw.ttl(key) <= 900


async def test_forgiving_an_attempt_keeps_the_window(store, raw):
    """One attempt given back decrements and keeps the TTL; forgiving all deletes the counter."""
    key = store.keys.failures_source("10.0.0.1")
    for _ in range(3):
        await store.count_attempt(key, 10, 900)

    await store.forgive_attempt(key)
    after_one = (await raw.get(key), await raw.ttl(key))
    await store.forgive_attempt(key, everything=True)

    assert after_one[0] == b"2" and 890 < after_one[1] <= 900
    assert await raw.exists(key) == 0


async def test_real_refresh_token_round_trip_through_wrap(store):
    """A real RefreshToken's wrap, stored by the script, unwraps to the current token."""
    first = RefreshToken.new(OWNER, "A" * 22)
    await store.create_session(
        OWNER, first.sid, "cid-1", "user", first.digest, idle_ms=IDLE_MS, max_ms=MAX_MS, cap=10
    )
    second = RefreshToken.new(OWNER, first.sid)
    await store.refresh_session(
        OWNER,
        first.sid,
        first.digest,
        "cid-1",
        second.digest,
        first.wrap(second),
        grace_ms=60_000,
        idle_ms=IDLE_MS,
        scope="",
    )
    again = await store.refresh_session(
        OWNER,
        first.sid,
        first.digest,
        "cid-1",
        b"x" * 32,
        b"y" * 32,
        grace_ms=60_000,
        idle_ms=IDLE_MS,
        scope="",
    )
    assert again[0] == 2
    assert first.unwrap(bytes(again[3])).value == second.value
