"""PKCE: RFC 7636 S256 challenges and verifiers."""

from __future__ import annotations

import pytest

from service.loginas import pkce

# RFC 7636 Appendix B
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_matches_the_rfc_example():
    """S256 of the Appendix B verifier is the Appendix B challenge."""
    assert pkce.s256(RFC_VERIFIER) == RFC_CHALLENGE


def test_right_verifier_verifies():
    """The verifier a challenge was made from passes."""
    assert pkce.verify(RFC_VERIFIER, RFC_CHALLENGE) is True


def test_wrong_verifier_fails():
    """Any other well-formed verifier fails."""
    assert pkce.verify("x" * 43, RFC_CHALLENGE) is False


def test_plain_verifier_equal_to_the_challenge_fails():
    """Sending the challenge itself as the verifier (the plain method) does not pass."""
    assert pkce.verify(RFC_CHALLENGE, RFC_CHALLENGE) is False


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + " ", "a" * 42 + "+", "a" * 42 + "/", "a" * 42 + "é", ""],
)
def test_malformed_verifier_fails(verifier):
    """A verifier outside 43-128 unreserved characters never passes."""
    assert pkce.is_valid_verifier(verifier) is False
    assert pkce.verify(verifier, RFC_CHALLENGE) is False


@pytest.mark.parametrize("verifier", ["a" * 43, "A-._~" * 25 + "abc", "0" * 128])
def test_verifier_of_the_unreserved_set_is_valid(verifier):
    """43 to 128 characters of ALPHA / DIGIT / - . _ ~ form a verifier."""
    assert pkce.is_valid_verifier(verifier) is True
    assert pkce.verify(verifier, pkce.s256(verifier)) is True


def test_challenge_of_a_digest_is_valid():
    """A 43-character base64url SHA-256 encoding is a valid challenge."""
    assert pkce.is_valid_challenge(RFC_CHALLENGE) is True


@pytest.mark.parametrize(
    "challenge",
    [
        RFC_CHALLENGE[:-1],  # 42
        RFC_CHALLENGE + "A",  # 44
        RFC_CHALLENGE[:-1] + "=",  # padding
        RFC_CHALLENGE[:-1] + "+",  # base64, not base64url
        RFC_CHALLENGE[:-1] + "N",  # right alphabet, but no 32-byte value encodes to this
        "",
    ],
)
def test_malformed_challenge_is_invalid(challenge):
    """Anything but the exact encoding of a 32-byte digest is not a challenge."""
    assert pkce.is_valid_challenge(challenge) is False
