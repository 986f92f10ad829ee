"""The login-as access token: user:limited for 30 minutes, the operator in act, no refresh token."""

from __future__ import annotations

from service.crypto.jwt import JwtCodec
from service.loginas.access_token import (
    LOGIN_AS_TTL,
    login_as_claims,
    login_as_response,
    new_jti,
)
from service.loginas.codes import CodeRecord

RECORD = CodeRecord("cid-1", "https://m.example/api/login-as", "user-1", "c" * 43, "op-1")
NOW = 1_700_000_000.5


def test_claims_name_the_user_and_the_operator():
    """sub is the user, act.sub the operator (RFC 8693 §4.1), scope user:limited, 30 minutes."""
    claims = login_as_claims(RECORD, issuer="https://th", audience="aud", jti="j1", now=NOW)

    assert claims == {
        "iss": "https://th",
        "sub": "user-1",
        "aud": "aud",
        "exp": 1_700_000_000 + 1800,
        "iat": 1_700_000_000,
        "jti": "j1",
        "client_id": "cid-1",
        "scope": "user:limited",
        "act": {"sub": "op-1"},
    }


def test_claims_may_name_a_session():
    """A session-backed login-as carries its session as sid."""
    claims = login_as_claims(
        RECORD, issuer="i", audience="a", jti="j", now=NOW, session_ref="u-user-1.abc"
    )

    assert claims["sid"] == "u-user-1.abc"


def test_signed_claims_verify_as_one_of_our_access_tokens(signing_key):
    """The claims signed by the service's codec pass its own verification, act included."""
    keys, kid = signing_key
    codec = JwtCodec(keys, kid, algorithm="ES256", issuer="https://th", audience="aud")
    token = codec.sign(
        login_as_claims(RECORD, issuer="https://th", audience="aud", jti="j", now=NOW)
    )

    claims = codec.verify(token, NOW + 10)

    assert (claims["scope"], claims["act"]) == ("user:limited", {"sub": "op-1"})


def test_response_has_no_refresh_token():
    """The token response is the contract's body exactly: no refresh_token."""
    assert login_as_response("at").as_dict() == {
        "access_token": "at",
        "token_type": "bearer",
        "expires_in": 1800,
        "scope": "user:limited",
    }


def test_ttl_is_thirty_minutes():
    """A login-as lasts 1800 seconds."""
    assert LOGIN_AS_TTL == 1800


def test_jtis_are_random():
    """Each redemption plans a fresh 128-bit jti."""
    assert len({new_jti() for _ in range(100)}) == 100
