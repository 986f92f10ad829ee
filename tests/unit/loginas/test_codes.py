"""Authorization codes: shape, digest, and the record's fields in Redis."""

from __future__ import annotations

from service.loginas.codes import CODE_TTL, CodeRecord, code_digest, is_code, new_code
from service.store.redis.login_codes import record_fields, record_of

RECORD = CodeRecord(
    client_id="cid-1",
    redirect_uri="https://market.example/api/login-as",
    user_id="user-1",
    code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    operator_id="op-1",
)


def test_codes_carry_256_random_bits():
    """A code is 43 base64url characters (256 bits) and never repeats."""
    codes = {new_code() for _ in range(200)}

    assert len(codes) == 200 and all(len(c) == 43 and is_code(c) for c in codes)


def test_codes_live_sixty_seconds():
    """A code expires 60 s after it is issued."""
    assert CODE_TTL == 60


def test_malformed_codes_are_recognised():
    """Strings of another shape are not codes (no Redis round trip for them)."""
    assert [is_code(c) for c in ("", "a" * 42, "a" * 44, "a" * 42 + "=")] == [False] * 4


def test_digest_is_stable_and_does_not_contain_the_code():
    """Redis keys a code by a 128-bit SHA-256 digest, never by the code."""
    code = new_code()

    assert code_digest(code) == code_digest(code)
    assert len(code_digest(code)) == 32 and code not in code_digest(code)


def test_record_holds_no_code():
    """The stored fields are the bindings and the operator; the code is not among them."""
    assert record_fields(RECORD) == {
        "client_id": "cid-1",
        "redirect_uri": "https://market.example/api/login-as",
        "user_id": "user-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "operator_id": "op-1",
    }


def test_record_round_trips_through_its_fields():
    """A record read back from its fields is the same record (extra fields ignored)."""
    assert record_of({**record_fields(RECORD), "used": "jti"}) == RECORD


def test_record_with_a_missing_field_is_none():
    """A hash missing a binding is not a record."""
    fields = record_fields(RECORD)
    del fields["code_challenge"]

    assert record_of(fields) is None


async def test_a_fresh_code_whose_record_lacks_a_binding_is_unknown():
    """A stored hash missing a binding cannot be redeemed: the store answers UNKNOWN_CODE."""
    import fakeredis

    from service.store.records import UNKNOWN_CODE
    from service.store.redis import RedisBackend

    backend = RedisBackend(fakeredis.aioredis.FakeRedis(), "th:")
    fields = record_fields(RECORD)
    del fields["operator_id"]
    await backend.redis.hset(backend.keys.login_code("d" * 32), mapping=fields)

    assert await backend.login_codes.consume("d" * 32, jti="j", sid="s") == UNKNOWN_CODE
    await backend.close()
