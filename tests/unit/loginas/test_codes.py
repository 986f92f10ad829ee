"""Authorization codes: shape, digest, the stored record and the consume script's replies."""

from __future__ import annotations

from service.loginas.codes import (
    CODE_TTL,
    CodeRecord,
    CodeState,
    ConsumedCode,
    code_digest,
    is_code,
    new_code,
)

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
    assert RECORD.fields() == {
        "client_id": "cid-1",
        "redirect_uri": "https://market.example/api/login-as",
        "user_id": "user-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "operator_id": "op-1",
    }


def test_record_round_trips_through_its_fields():
    """A record read back from its fields is the same record."""
    assert CodeRecord.from_fields(RECORD.fields()) == RECORD


def test_record_with_a_missing_field_is_none():
    """A hash missing a binding is not a record."""
    fields = RECORD.fields()
    del fields["code_challenge"]

    assert CodeRecord.from_fields(fields) is None


def test_reply_of_a_fresh_code():
    """{1, field, value, ...} is a fresh code with its record (extra fields ignored)."""
    flat = [x for pair in RECORD.fields().items() for x in pair]

    assert ConsumedCode.from_reply(["1", *flat]) == ConsumedCode(CodeState.FRESH, RECORD)


def test_reply_of_a_used_code():
    """{2, jti} is a used code naming the token its first use was to get."""
    assert ConsumedCode.from_reply(["2", "jti-1"]) == ConsumedCode(
        CodeState.USED, first_jti="jti-1"
    )


def test_reply_of_an_unknown_code():
    """{0} is an unknown or expired code."""
    assert ConsumedCode.from_reply(["0"]) == ConsumedCode(CodeState.UNKNOWN)


def test_fresh_reply_with_a_broken_record_counts_as_unknown():
    """A fresh reply whose record lacks a binding cannot be redeemed."""
    assert ConsumedCode.from_reply(["1", "client_id", "cid-1"]).state is CodeState.UNKNOWN
