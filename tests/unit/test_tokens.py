"""Token material: refresh token format, digest, wrapping, and access-token minting."""

from __future__ import annotations

import base64
import hashlib

import pytest

from service.crypto.jwt import JwtCodec
from service.oauth.tokens import RefreshToken, mint_access_token
from service.owners import SessionRef

OWNER = "u-0b7c2a6e-58a1-4d4e-9a51-1b8f0c7a2e11"


def test_new_refresh_token_formats_and_parses_back():
    """A new token's text is `<owner>.<sid>.<secret>` and parses to the same token."""
    minted = RefreshToken.new(OWNER)

    parsed = RefreshToken.parse(minted.value)

    assert parsed == minted
    owner, sid, secret = minted.value.split(".")
    assert (owner, sid) == (OWNER, minted.sid)
    assert minted.session_ref == f"{OWNER}.{minted.sid}"


def test_refresh_secret_has_at_least_256_bits():
    """The secret part carries 32 random bytes, different every time."""
    tokens = {RefreshToken.new(OWNER).secret for _ in range(50)}

    assert len(tokens) == 50
    assert all(len(secret) * 8 >= 256 for secret in tokens)


def test_new_token_keeps_a_given_session_id():
    """A rotated token names the same session with a new secret."""
    first = RefreshToken.new(OWNER)

    second = RefreshToken.new(OWNER, first.sid)

    assert second.sid == first.sid and second.secret != first.secret


def test_digest_is_truncated_sha256_of_the_token_text():
    """Redis keeps SHA-256 of the whole token text (its first 128 bits), never the token."""
    minted = RefreshToken.new(OWNER)

    assert minted.digest == hashlib.sha256(minted.value.encode()).digest()[:16]
    assert minted.secret not in minted.digest


def test_wrap_unwrap_roundtrip():
    """The previous token unwraps the successor's secret it wrapped."""
    previous = RefreshToken.new(OWNER)
    successor = RefreshToken.new(OWNER, previous.sid)

    wrapped = previous.wrap(successor)

    assert wrapped != successor.secret
    assert previous.unwrap(wrapped) == successor


def test_unwrap_with_another_token_does_not_reveal_the_successor():
    """Only the wrapping token recovers the successor."""
    previous = RefreshToken.new(OWNER)
    successor = RefreshToken.new(OWNER, previous.sid)
    stranger = RefreshToken.new(OWNER, previous.sid)

    assert stranger.unwrap(previous.wrap(successor)) != successor


def _secret_text(minted: RefreshToken) -> str:
    return minted.value.rsplit(".", 1)[1]


GOOD = RefreshToken.new(OWNER)
SID = GOOD.sid
SECRET = _secret_text(GOOD)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The last character of 43 carries 4 data bits and 2 unused ones: set an unused bit.
NON_CANONICAL = SECRET[:-1] + B64[B64.index(SECRET[-1]) ^ 1]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x.y.z",
        f"{OWNER}.{SID}",
        f"a-1.{SID}.{SECRET}",
        f"u-.{SID}.{SECRET}",
        f"u-{'x' * 65}.{SID}.{SECRET}",
        f"u-a_b.{SID}.{SECRET}",
        f"{OWNER}.{SID[:-1]}.{SECRET}",
        f"{OWNER}.{SID}.{SECRET[:-1]}",
        f"{OWNER}.{SID}.{SECRET}A",
        f"{OWNER}.{SID}.{SECRET[:-1]}=",
        f"{OWNER}.{SID}.{SECRET[:-1]}+",
        f"{OWNER}.{SID}.{SECRET}\n",
        f" {OWNER}.{SID}.{SECRET}",
        f"{OWNER}.{SID}.{SECRET}.extra",
        f"{OWNER}.{SID}.{NON_CANONICAL}",
    ],
)
def test_malformed_refresh_tokens_are_rejected(text):
    """Anything but the exact canonical format parses to None."""
    assert RefreshToken.parse(text) is None


def test_non_canonical_spelling_of_a_real_secret_is_refused():
    """A second spelling of the same secret bytes (unused base64 bits set) is not accepted."""
    assert base64.urlsafe_b64decode(NON_CANONICAL + "=") == GOOD.secret
    assert RefreshToken.parse(f"{OWNER}.{SID}.{NON_CANONICAL}") is None


def test_session_ref_parses_a_sid_claim():
    """A `sid` claim splits into (owner, session id); malformed claims give None."""
    assert SessionRef.parse(GOOD.session_ref) == (OWNER, SID)
    assert SessionRef.parse(None) is None
    assert SessionRef.parse(123) is None
    assert SessionRef.parse("nope") is None
    assert SessionRef.parse(f"{OWNER}.short") is None


def test_minted_access_token_carries_rfc9068_claims(signing_key):
    """mint_access_token signs iss, sub, aud, exp, iat, jti, client_id, scope and sid."""
    keys, kid = signing_key
    codec = JwtCodec(keys, kid, algorithm="ES256", issuer="https://i.example", audience="aud")

    text = mint_access_token(
        codec,
        sub="u1",
        client_id="c1",
        scope="user",
        ttl=600,
        now=1000.7,
        session_ref=GOOD.session_ref,
    )

    claims = codec.verify(text, 1001)
    jti = claims.pop("jti")
    assert claims == {
        "iss": "https://i.example",
        "sub": "u1",
        "aud": "aud",
        "exp": 1600,
        "iat": 1000,
        "client_id": "c1",
        "scope": "user",
        "sid": GOOD.session_ref,
    }
    assert len(jti) >= 22
    assert len(text) < 1024


def test_minted_tokens_have_unique_jtis(signing_key):
    """Every access token gets its own jti."""
    keys, kid = signing_key
    codec = JwtCodec(keys, kid, algorithm="ES256", issuer="https://i.example", audience="aud")

    jtis = {
        codec.verify(mint_access_token(codec, sub="s", client_id="c", scope="x", ttl=60, now=0), 0)[
            "jti"
        ]
        for _ in range(20)
    }

    assert len(jtis) == 20
