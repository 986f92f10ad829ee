"""Operators and their sessions on a real redis-server: the key layout, the Lua steps, races."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis import asyncio as aioredis
from redis.crc import key_slot

from service.errors import StoreUnavailable
from service.loginas.session import new_session_id, session_digest
from service.models import Operator
from service.store.redis import RedisBackend

from ..factories import hash_secret
from ..redis_proc import free_port

pytestmark = pytest.mark.integration

PASSWORD = "operator password"


@pytest.fixture
async def conn(redis_url: str) -> AsyncIterator[Any]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def store(conn: Any) -> RedisBackend:
    return RedisBackend(conn, "th:")


def new_operator(email: str = "support@example.com", *, disabled: bool = False) -> Operator:
    return Operator(str(uuid.uuid4()), email, hash_secret(PASSWORD), disabled, created=1700000000)


async def test_operator_is_a_hash_beside_its_email_entry(store, conn):
    """th:operator:{operators}:<id> holds email, pw, disabled, gen, created; the e-mail entry the id."""
    operator = new_operator()

    assert await store.operators.create(operator) is True

    record = await conn.hgetall(f"th:operator:{{operators}}:{operator.operator_id}")
    assert {k.decode(): v.decode() for k, v in record.items()} == {
        "email": "support@example.com",
        "pw": operator.password_hash,
        "disabled": "0",
        "gen": "0",
        "created": "1700000000",
    }
    entry = await conn.get("th:operator-email:{operators}:support@example.com")
    assert entry.decode() == operator.operator_id
    assert await store.operators.find("support@example.com") == operator


async def test_every_operator_key_is_in_one_cluster_slot(store, conn):
    """Record, e-mail entry and sessions share the {operators} hash tag: each step is one slot."""
    operator = new_operator()
    await store.operators.create(operator)
    await store.operator_sessions.start("d" * 32, operator.operator_id, 60_000)

    keys = [k.decode() for k in await conn.keys("th:operator*")]

    assert len(keys) == 3
    assert {key_slot(k.encode()) for k in keys} == {key_slot(b"{operators}")}


async def test_parallel_creates_of_one_email_store_one_operator(store, conn):
    """Twenty simultaneous creates with one e-mail: exactly one record and one entry."""
    results = await asyncio.gather(*(store.operators.create(new_operator()) for _ in range(20)))

    assert results.count(True) == 1
    assert len(await conn.keys("th:operator:*")) == 1


async def test_delete_removes_record_and_email_entry(store, conn):
    """delete leaves no operator key behind."""
    operator = new_operator()
    await store.operators.create(operator)

    assert await store.operators.delete(operator) is True
    assert await store.operators.delete(operator) is False
    assert await conn.keys("th:operator*") == []


async def test_redis_never_holds_a_password_or_session_id(store, conn):
    """Only the argon2id hash and a digest-named session: no clear password, no session id."""
    operator = new_operator()
    await store.operators.create(operator)
    session_id = new_session_id()
    await store.operator_sessions.start(session_digest(session_id), operator.operator_id, 60_000)

    dump = repr([(k, await conn.type(k)) for k in await conn.keys("*")])
    values = [await conn.hgetall(k) for k in await conn.keys("th:operator:*")]

    assert PASSWORD not in dump + repr(values) and session_id not in dump


async def test_session_lives_its_ttl_on_redis_clock(store, conn):
    """A session hash names the operator and the generation, and expires after its lifetime."""
    operator = new_operator()
    await store.operators.create(operator)
    await store.operator_sessions.start("d" * 32, operator.operator_id, 100)

    key = "th:operator-session:{operators}:" + "d" * 32
    assert {k.decode(): v.decode() for k, v in (await conn.hgetall(key)).items()} == {
        "op": operator.operator_id,
        "gen": "0",
    }
    assert await store.operator_sessions.operator("d" * 32) == operator
    await asyncio.sleep(0.25)
    assert await store.operator_sessions.operator("d" * 32) is None


async def test_no_session_starts_for_a_disabled_or_missing_operator(store, conn):
    """start refuses a disabled or unknown operator and stores nothing."""
    disabled = new_operator(disabled=True)
    await store.operators.create(disabled)

    assert await store.operator_sessions.start("a" * 32, disabled.operator_id, 60_000) is False
    assert await store.operator_sessions.start("b" * 32, str(uuid.uuid4()), 60_000) is False
    assert await conn.keys("th:operator-session:*") == []


async def test_disabling_advances_the_generation_sessions_named(store):
    """A session started before a disable stays refused after enabling; a new one works."""
    operator = new_operator()
    await store.operators.create(operator)
    await store.operator_sessions.start("a" * 32, operator.operator_id, 60_000)

    await store.operators.set_disabled(operator.operator_id, True)
    await store.operators.set_disabled(operator.operator_id, False)
    await store.operator_sessions.start("b" * 32, operator.operator_id, 60_000)

    assert await store.operator_sessions.operator("a" * 32) is None
    assert await store.operator_sessions.operator("b" * 32) == operator


async def test_set_disabled_of_a_deleted_operator_recreates_nothing(store, conn):
    """set_disabled after delete answers False and leaves no half record."""
    operator = new_operator()
    await store.operators.create(operator)
    await store.operators.delete(operator)

    assert await store.operators.set_disabled(operator.operator_id, True) is False
    assert await conn.keys("th:operator*") == []


async def test_unreachable_redis_is_store_unavailable():
    """With Redis down the operator steps raise StoreUnavailable, quickly."""
    conn = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.2)
    store = RedisBackend(conn, "th:", deadline=1.0)
    try:
        with pytest.raises(StoreUnavailable):
            await store.operators.create(new_operator())
        with pytest.raises(StoreUnavailable):
            await store.operator_sessions.operator("d" * 32)
    finally:
        await conn.aclose()
