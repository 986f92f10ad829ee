"""verify_foreign: a foreign ID token checked with a given public JWK, pinned algs and leeway."""

from __future__ import annotations

import pytest

from service.crypto.jwt import InvalidJwt, foreign_header, verify_foreign

from ...idp_tokens import encode, hs256_with_public_key, impostor, new_key, sign, unsigned

RS = new_key("RS256", kid="rs-1")
ES = new_key("ES256", kid="es-1")
ALGS = ("RS256", "ES256")
NOW = 1_700_000_000
LEEWAY = 60


def claims(**changes):
    base = {"iss": "https://idp.example.com", "sub": "u1", "aud": "c", "iat": NOW, "exp": NOW + 300}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def verify(token, key=RS, algorithms=ALGS):
    return verify_foreign(token, key.jwk, algorithms=algorithms, now=NOW, leeway=LEEWAY)


def rejected(token, key=RS, algorithms=ALGS) -> str:
    with pytest.raises(InvalidJwt) as caught:
        verify(token, key, algorithms)
    return str(caught.value)


@pytest.mark.parametrize("key", [RS, ES], ids=["RS256", "ES256"])
def test_token_signed_by_the_key_verifies(key):
    """RS256 and ES256 tokens signed by the given key verify to their claims."""
    assert verify(sign(key, claims()), key) == claims()


def test_alg_outside_the_pinned_list_is_rejected():
    """An alg the caller did not pin is refused, even with the right key."""
    assert rejected(sign(ES, claims()), ES, algorithms=("RS256",)) == "alg is not allowed"


def test_alg_none_is_rejected():
    """alg: none never verifies."""
    assert rejected(unsigned("rs-1", claims())) == "alg is not allowed"


@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_hs256_keyed_with_the_public_key_is_rejected(form):
    """HS256 keyed with the public key (key confusion) is refused, even if HS256 is listed."""
    token = hs256_with_public_key(RS, claims(), form)

    assert rejected(token, algorithms=("RS256", "HS256")) == "alg is not allowed"


def test_alg_that_does_not_fit_the_key_type_is_rejected():
    """An RS256 header with an EC key is refused before any signature check."""
    token = encode({"alg": "RS256", "kid": "es-1"}, claims(), RS.sign)

    assert rejected(token, ES) == "alg does not fit the key"


def test_alg_that_differs_from_the_jwks_alg_is_rejected():
    """A key published with alg ES256 cannot verify an RS256 token."""
    jwk = {**RS.jwk, "alg": "ES256"}

    with pytest.raises(InvalidJwt, match="alg does not fit the key"):
        verify_foreign(sign(RS, claims()), jwk, algorithms=ALGS, now=NOW, leeway=LEEWAY)


def test_kid_naming_another_key_is_rejected():
    """The header's kid must name the key given."""
    assert rejected(sign(RS, claims(), kid="other")) == "kid does not name this key"


def test_another_key_with_the_same_kid_is_rejected():
    """A token signed by an unpublished key carrying the IdP's kid fails the signature check."""
    assert rejected(impostor("rs-1", claims())) == "bad key, signature or payload"


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "x5c", "crit"])
def test_key_source_headers_are_rejected(name):
    """jku, jwk, x5u, x5c and crit headers are refused."""
    assert rejected(sign(RS, claims(), **{name: "https://evil.example/keys"})) == (
        "header names a key source or critical extension"
    )


def test_tampered_payload_is_rejected():
    """Changing the payload breaks the signature."""
    header, _, signature = sign(RS, claims()).split(".")
    other = sign(RS, claims(sub="admin")).split(".")[1]

    assert rejected(f"{header}.{other}.{signature}") == "bad key, signature or payload"


def test_payload_that_is_not_an_object_is_rejected():
    """A signed JSON array is not a claims set."""
    assert rejected(sign(RS, ["a"])) == "claims are not an object"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": None}, "missing or malformed exp"),
        ({"iat": None}, "missing or malformed iat"),
        ({"exp": "tomorrow"}, "missing or malformed exp"),
        ({"exp": True}, "missing or malformed exp"),
        ({"iat": [NOW]}, "missing or malformed iat"),
        ({"exp": NOW - LEEWAY}, "expired"),
        ({"iat": NOW + LEEWAY + 1}, "issued in the future"),
        ({"nbf": NOW + LEEWAY + 1}, "not yet valid"),
        ({"nbf": "now"}, "not yet valid"),
    ],
)
def test_time_claims_are_required_and_checked_with_leeway(changes, reason):
    """exp and iat are required numbers; exp, iat and nbf allow only the leeway of skew."""
    assert rejected(sign(RS, claims(**changes))) == reason


def test_skew_within_the_leeway_is_accepted():
    """A token expired or issued less than the leeway ago or ahead still verifies."""
    token = sign(RS, claims(exp=NOW - LEEWAY + 1, iat=NOW + LEEWAY, nbf=NOW + LEEWAY))

    assert verify(token)["sub"] == "u1"


def test_fractional_times_are_accepted():
    """NumericDate may be fractional (RFC 7519 §2)."""
    assert verify(sign(RS, claims(iat=NOW + 0.5, exp=NOW + 300.5)))["exp"] == NOW + 300.5


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c.d", "!!!.e30.", "W10.e30.", "x" * 20_000 + ".a.b"]
)
def test_malformed_tokens_are_rejected(token):
    """Anything that is not a compact JWS with an object header is InvalidJwt."""
    with pytest.raises(InvalidJwt):
        verify(token)


def test_foreign_header_reads_the_unverified_header():
    """foreign_header returns the header (to pick the key), without checking anything else."""
    assert foreign_header(sign(ES, claims())) == {"alg": "ES256", "kid": "es-1", "typ": "JWT"}


def test_rejection_reasons_never_echo_the_token():
    """No rejection reason carries any part of the token."""
    for token in (unsigned("rs-1", claims()), impostor("rs-1", claims()), sign(RS, ["x"])):
        reason = rejected(token)
        assert not any(part and part in reason for part in token.split("."))
