"""JwtCodec: RFC 9068 access tokens signed and verified with a pinned algorithm and kid lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.app import load_signing_keys
from service.crypto.jwt import (
    OWN_LEEWAY,
    InvalidJwt,
    JwtCodec,
    SigningKeyError,
    generate_pem,
    load_key,
    load_key_dir,
)
from service.settings import KeySettings

ISSUER = "https://auth.example.com"
AUDIENCE = "tokenhouse"
NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims(**changes) -> dict:
    base = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "exp": NOW + 600,
        "iat": NOW,
        "jti": "jti-1",
        "client_id": "client-1",
        "scope": "user",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def codec(signing_key) -> JwtCodec:
    keys, kid = signing_key
    return JwtCodec(keys, kid, algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)


def forge(key, header: dict, payload: dict) -> str:
    """A JWS signed by ``key`` (a SigningKey) with any header."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(key.key.sign(signing_input.encode()))}"


def test_sign_then_verify_returns_the_claims(codec):
    """A token the codec signed verifies to its claims."""
    token = codec.sign(claims())

    assert codec.verify(token, NOW) == claims()


def test_header_has_alg_typ_at_jwt_and_kid(codec, signing_key):
    """The header is {alg: ES256, kid, typ: at+jwt} (RFC 9068 §2.1)."""
    token = codec.sign(claims())

    header = json.loads(unb64(token.split(".")[0]))

    assert header == {"alg": "ES256", "kid": signing_key[1], "typ": "at+jwt"}


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example"},
        {"aud": "someone-else"},
        {"exp": NOW - 6},
        {"exp": NOW - 5},
        {"iat": NOW + 6},
        {"nbf": NOW + 6},
        {"nbf": "soon"},
        {"exp": str(NOW + 600)},
        {"exp": True},
        {"iat": 1.5},
        {"sub": ""},
        {"scope": 5},
    ],
)
def test_wrong_or_out_of_time_claims_are_invalid(codec, changes):
    """Wrong iss/aud, exp past the 5 s leeway, iat/nbf in the future, malformed values: InvalidJwt."""
    token = codec.sign(claims(**changes))

    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


@pytest.mark.parametrize("changes", [{"exp": NOW - 4}, {"iat": NOW + 5}, {"nbf": NOW + 5}])
def test_clock_skew_within_leeway_is_accepted(codec, changes):
    """Up to 5 s of clock skew on exp, iat and nbf is tolerated (our own tokens)."""
    token = codec.sign(claims(**changes))

    assert codec.verify(token, NOW)["jti"] == "jti-1"


@pytest.mark.parametrize(
    "missing", ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"]
)
def test_missing_required_claim_is_invalid(codec, missing):
    """Every RFC 9068 claim the service relies on is required."""
    token = codec.sign(claims(**{missing: None}))

    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "ES256", "typ": "JWT", "kid": "test-key"},
        {"alg": "ES256", "kid": "test-key"},
        {"alg": "ES256", "typ": "at+jwt", "kid": "unknown"},
        {"alg": "ES256", "typ": "at+jwt"},
        {"alg": "ES256", "typ": "at+jwt", "kid": ["test-key"]},
        {"alg": "ES256", "typ": "at+jwt", "kid": "test-key", "jku": "https://evil/jwks"},
        {"alg": "ES256", "typ": "at+jwt", "kid": "test-key", "crit": ["exp"]},
        {"alg": "RS256", "typ": "at+jwt", "kid": "test-key"},
    ],
)
def test_bad_headers_are_invalid_even_when_signed_by_our_key(codec, signing_key, header):
    """Wrong typ, unknown or missing kid, a key source header or another alg: InvalidJwt."""
    token = forge(signing_key[0][0], header, claims())

    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


def test_alg_none_is_invalid(codec):
    """An unsigned token (alg none) is refused."""
    header = {"alg": "none", "typ": "at+jwt", "kid": "test-key"}
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}."

    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


def test_hmac_keyed_with_the_public_key_is_invalid(codec, signing_key):
    """HS256 signed with our public key (the algorithm-confusion attack) is refused."""
    public_pem = signing_key[0][0].key.public_key().to_pem()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": "test-key"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()

    with pytest.raises(InvalidJwt):
        codec.verify(f"{signing_input}.{b64(mac)}", NOW)


def test_tampered_payload_is_invalid(codec):
    """Changing the payload breaks the signature."""
    head, _, sig = codec.sign(claims()).split(".")
    tampered = b64(orjson.dumps(claims(scope="trusted:user")))

    with pytest.raises(InvalidJwt):
        codec.verify(f"{head}.{tampered}.{sig}", NOW)


def test_token_from_another_key_with_our_kid_is_invalid(codec):
    """A foreign key that reuses our kid does not verify."""
    foreign_key = load_key("test-key", generate_pem("ES256"), "ES256")
    foreign = JwtCodec(
        [foreign_key], "test-key", algorithm="ES256", issuer=ISSUER, audience=AUDIENCE
    )

    with pytest.raises(InvalidJwt):
        codec.verify(foreign.sign(claims()), NOW)


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c", "a.b.c.d", "e30.e30.", "!!!.???.###", "x" * 5000]
)
def test_garbage_is_invalid(codec, token):
    """Anything that is not a compact JWS of ours raises InvalidJwt, never another error."""
    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


def test_payload_that_is_not_an_object_is_invalid(codec, signing_key):
    """A signed payload that is a JSON array is refused."""
    signing_input = f"{b64(json.dumps({'alg': 'ES256', 'typ': 'at+jwt', 'kid': 'test-key'}).encode())}.{b64(b'[1]')}"
    token = f"{signing_input}.{b64(signing_key[0][0].key.sign(signing_input.encode()))}"

    with pytest.raises(InvalidJwt):
        codec.verify(token, NOW)


# keys ---------------------------------------------------------------------------------------


@pytest.fixture
def key_dir(tmp_path):
    for kid in ("2024-a", "2025-b"):
        (tmp_path / f"{kid}.pem").write_bytes(generate_pem("ES256"))
    (tmp_path / "README.txt").write_text("not a key", encoding="utf-8")
    return tmp_path


def test_jwks_lists_every_key_of_the_key_dir_with_its_kid(key_dir):
    """Every *.pem in keys.dir is published (public part only) with its kid."""
    keys = load_key_dir(key_dir, "ES256")
    codec = JwtCodec(keys, "2025-b", algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)

    jwks = orjson.loads(codec.jwks_json())

    assert [k["kid"] for k in jwks["keys"]] == ["2024-a", "2025-b"]
    for key in jwks["keys"]:
        assert key["kty"] == "EC" and key["crv"] == "P-256"
        assert key["use"] == "sig" and key["alg"] == "ES256"
        assert "d" not in key


def test_active_kid_selects_the_signing_key_and_old_keys_still_verify(key_dir):
    """keys.active_kid signs; tokens of the other published key still verify (rotation overlap)."""
    keys, active = load_signing_keys(KeySettings(dir=str(key_dir), active_kid="2025-b"))
    codec = JwtCodec(keys, active, algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)
    old = JwtCodec(keys, "2024-a", algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)

    token = codec.sign(claims())

    assert json.loads(unb64(token.split(".")[0]))["kid"] == "2025-b"
    assert codec.active_kid == "2025-b"
    assert codec.verify(old.sign(claims()), NOW) == claims()


def test_several_keys_without_active_kid_are_refused(key_dir):
    """A key dir with several keys needs keys.active_kid."""
    with pytest.raises(SigningKeyError):
        load_signing_keys(KeySettings(dir=str(key_dir)))


def test_single_key_dir_signs_with_its_only_key(tmp_path):
    """With one key, that key is active."""
    (tmp_path / "only.pem").write_bytes(generate_pem("ES256"))

    keys, active = load_signing_keys(KeySettings(dir=str(tmp_path)))

    assert active == "only" and [k.kid for k in keys] == ["only"]


def test_active_kid_not_in_dir_is_refused(key_dir):
    """An active kid that names no loaded key is refused at start-up."""
    keys = load_key_dir(key_dir, "ES256")

    with pytest.raises(SigningKeyError):
        JwtCodec(keys, "missing", algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)


def test_empty_or_missing_key_dir_is_refused(tmp_path):
    """A key dir without *.pem files, or no directory at all, is refused."""
    with pytest.raises(SigningKeyError):
        load_key_dir(tmp_path, "ES256")
    with pytest.raises(SigningKeyError):
        load_key_dir(tmp_path / "absent", "ES256")


def _rsa_pem(bits: int) -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@pytest.mark.parametrize(
    ("kid", "pem", "algorithm"),
    [
        ("k", b"a-shared-hmac-secret-of-some-length", "ES256"),
        ("k", b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", "ES256"),
        ("k", _public_pem(), "ES256"),
        ("k", _rsa_pem(2048), "ES256"),
        (
            "k",
            ec.generate_private_key(ec.SECP384R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "ES256",
        ),
        ("k", generate_pem("ES256"), "RS256"),
        ("k", _rsa_pem(1024), "RS256"),
        ("../etc/passwd", generate_pem("ES256"), "ES256"),
    ],
)
def test_unusable_keys_are_refused(kid, pem, algorithm):
    """Symmetric secrets, garbage, public-only, wrong-kind or weak keys and odd kids are refused."""
    with pytest.raises(SigningKeyError):
        load_key(kid, pem, algorithm)


def test_rs256_key_signs_and_verifies():
    """An RSA key of 2048 bits works with RS256."""
    key = load_key("rsa", _rsa_pem(2048), "RS256")
    codec = JwtCodec([key], "rsa", algorithm="RS256", issuer=ISSUER, audience=AUDIENCE)

    assert codec.verify(codec.sign(claims()), NOW) == claims()


def test_verified_token_is_remembered_but_its_claims_are_checked_every_time(codec):
    """A verified token is cached by its text; once expired it is refused all the same."""
    token = codec.sign(claims(exp=NOW + 600))
    assert codec.verify(token, NOW)["sub"] == claims()["sub"]

    with pytest.raises(InvalidJwt, match="expired"):
        codec.verify(token, NOW + 600 + OWN_LEEWAY + 1)


def test_own_tokens_get_a_few_seconds_of_leeway_only(codec):
    """exp 4 s past passes (leeway 5 s); 6 s past is expired, where 60 s once passed."""
    token = codec.sign(claims(exp=NOW))

    assert codec.verify(token, NOW + 4)["sub"] == claims()["sub"]
    with pytest.raises(InvalidJwt, match="expired"):
        codec.verify(token, NOW + 6)


def test_leeway_is_set_per_codec_and_per_call(signing_key):
    """tokens.leeway sets the codec's leeway; a caller may pass its own (a foreign clock's)."""
    keys, kid = signing_key
    strict = JwtCodec(keys, kid, algorithm="ES256", issuer=ISSUER, audience=AUDIENCE, leeway=0)
    token = strict.sign(claims(exp=NOW, iat=NOW - 600))

    with pytest.raises(InvalidJwt, match="expired"):
        strict.verify(token, NOW + 1)
    assert strict.verify(token, NOW + 59, leeway=60)["jti"] == "jti-1"
    with pytest.raises(InvalidJwt, match="issued in the future"):
        strict.verify(strict.sign(claims(iat=NOW + 1)), NOW)


def test_a_changed_token_is_never_served_from_the_cache(codec):
    """Any other text (a flipped signature byte) misses the cache and fails verification."""
    token = codec.sign(claims())
    codec.verify(token, NOW)
    head, body, sig = token.split(".")
    flipped = f"{head}.{body}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"

    with pytest.raises(InvalidJwt):
        codec.verify(flipped, NOW)


def test_returned_claims_do_not_alter_the_cached_ones(codec):
    """Callers get a copy: changing it does not change what the next caller sees."""
    token = codec.sign(claims())
    codec.verify(token, NOW)["scope"] = "admin"

    assert codec.verify(token, NOW)["scope"] == claims()["scope"]
