"""Login-as codes on a real redis-server: the save and consume scripts, TTLs and races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis import asyncio as aioredis

from service.errors import StoreUnavailable
from service.loginas.codes import CODE_TTL, CodeRecord, code_digest, new_code
from service.owners import Owner, SessionRef
from service.store.keys import Keys
from service.store.protocols import LoginCodeStore
from service.store.records import UNKNOWN_CODE, CodeResult, FreshCode, UsedCode
from service.store.redis import RedisBackend
from service.store.redis.login_codes import record_fields

from ..redis_proc import free_port

pytestmark = pytest.mark.integration

PREFIX = "th:"
RECORD = CodeRecord(
    "cid-1",
    "https://market.example/api/login-as",
    "user-1",
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "op-1",
)


@pytest.fixture
async def conn(redis_url: str) -> AsyncIterator[Any]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def codes(conn: Any) -> LoginCodeStore:
    return RedisBackend(conn, PREFIX).login_codes


async def issue(codes: LoginCodeStore, ttl_ms: int = CODE_TTL * 1000) -> str:
    code = new_code()
    assert await codes.save(code_digest(code), RECORD, ttl_ms) is True
    return code


async def consume(codes: LoginCodeStore, code: str, jti: str = "jti-1") -> CodeResult:
    return await codes.consume(code_digest(code), jti=jti, sid=f"sid-{jti}")


def used(jti: str) -> UsedCode:
    return UsedCode(jti, SessionRef(Owner.user(RECORD.user_id), f"sid-{jti}"))


async def test_saved_code_is_a_hash_with_a_sixty_second_ttl(codes, conn):
    """The record is a hash under <p>code:<digest> that expires in 60 s."""
    code = await issue(codes)
    key = Keys(PREFIX).login_code(code_digest(code))

    stored = await conn.hgetall(key)
    ttl = await conn.pttl(key)

    assert {k.decode(): v.decode() for k, v in stored.items()} == record_fields(RECORD)
    assert 59_000 < ttl <= 60_000


async def test_redis_never_holds_the_code(codes, conn):
    """Neither a key nor a value contains the code itself."""
    code = await issue(codes)

    keys = await conn.keys("*")
    values = [v for k in keys for v in (await conn.hgetall(k)).values()]

    assert not any(code.encode() in blob for blob in [*keys, *values])


async def test_first_consumption_hands_out_the_record(codes):
    """The first consumption gets the record."""
    code = await issue(codes)

    assert await consume(codes, code) == FreshCode(RECORD)


async def test_second_consumption_learns_the_code_was_used(codes):
    """A code is single use: the second call learns the jti and session the first one planned."""
    code = await issue(codes)
    await consume(codes, code, jti="first")

    again = await consume(codes, code, jti="second")

    assert again == used("first")


async def test_consumption_keeps_the_ttl(codes, conn):
    """Marking a code used does not extend its life."""
    code = await issue(codes)
    key = Keys(PREFIX).login_code(code_digest(code))
    await consume(codes, code)

    assert 0 < await conn.pttl(key) <= 60_000


async def test_unknown_code_is_unknown(codes):
    """A code that was never issued is UNKNOWN."""
    assert await consume(codes, new_code()) == UNKNOWN_CODE


async def test_expired_code_is_unknown(codes):
    """After its lifetime a code is gone, on Redis's clock."""
    code = await issue(codes, ttl_ms=50)
    await asyncio.sleep(0.15)

    assert await consume(codes, code) == UNKNOWN_CODE


async def test_parallel_redemptions_get_the_record_once(codes):
    """Twenty simultaneous redemptions of one code: exactly one gets the record."""
    code = await issue(codes)

    results = await asyncio.gather(*(consume(codes, code, jti=f"j{i}") for i in range(20)))

    fresh = [i for i, r in enumerate(results) if isinstance(r, FreshCode)]
    assert len(fresh) == 1
    assert {r for r in results if not isinstance(r, FreshCode)} == {used(f"j{fresh[0]}")}


async def test_saving_over_an_existing_code_changes_nothing(codes, conn):
    """A digest that exists already is not overwritten (and its TTL is kept)."""
    code = await issue(codes, ttl_ms=30_000)
    other = CodeRecord("cid-2", "https://x.example/cb", "user-2", "c" * 43, "op-2")

    stored = await codes.save(code_digest(code), other, 60_000)

    assert stored is False
    assert await consume(codes, code) == FreshCode(RECORD)
    assert await conn.pttl(Keys(PREFIX).login_code(code_digest(code))) <= 30_000


async def test_unreachable_redis_is_store_unavailable():
    """With Redis down both steps raise StoreUnavailable, quickly."""
    conn = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.2)
    codes = RedisBackend(conn, PREFIX, deadline=1.0).login_codes
    try:
        with pytest.raises(StoreUnavailable):
            await codes.save("d" * 32, RECORD, 60_000)
        with pytest.raises(StoreUnavailable):
            await codes.consume("d" * 32, jti="j", sid="s")
    finally:
        await conn.aclose()
