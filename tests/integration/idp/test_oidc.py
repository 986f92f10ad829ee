"""OIDC ID tokens against the local IdP: every claim, header and key check (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import asyncio
import time

import pytest

from service.idp.errors import InvalidIdpToken
from service.idp.identity import VerifiedIdentity
from service.idp.keys import MAX_AGE, REFETCH_INTERVAL

from ...idp_tokens import hs256_with_public_key, impostor, sign, unsigned
from .conftest import SECOND_CLIENT, assert_no_token_text


async def rejected(oidc, token: str, client_id: str = "local-client") -> str:
    with pytest.raises(InvalidIdpToken) as caught:
        await oidc.verify(token, client_id)
    return str(caught.value)


async def test_rs256_id_token_verifies(oidc, idp):
    """A valid RS256 ID token gives the IdP id, sub, e-mail and its verified flag."""
    identity = await oidc.verify(idp.mint(sub="alice-1"), idp.client_id)

    assert identity == VerifiedIdentity("local", "alice-1", "alice@example.com", True)


async def test_es256_id_token_verifies(oidc, idp):
    """A valid ES256 ID token verifies too."""
    identity = await oidc.verify(idp.mint(key=idp.es), idp.client_id)

    assert identity == VerifiedIdentity("local", "user-1", "alice@example.com", True)


async def test_aud_list_containing_the_client_verifies(oidc, idp):
    """aud may be a list; it verifies when it contains idp_client_id."""
    token = idp.mint(aud=["someone-else", SECOND_CLIENT])

    assert (await oidc.verify(token, SECOND_CLIENT)).sub == "user-1"


async def test_email_verified_false_verifies_as_unverified(oidc, idp):
    """email_verified: false still verifies, and reports the e-mail as unverified."""
    identity = await oidc.verify(idp.mint(email_verified=False), idp.client_id)

    assert identity == VerifiedIdentity("local", "user-1", "alice@example.com", False)


@pytest.mark.parametrize(
    ("changes", "email", "verified"),
    [
        ({"email_verified": None}, "alice@example.com", False),
        ({"email_verified": "true"}, "alice@example.com", True),
        ({"email_verified": "yes"}, "alice@example.com", False),
        ({"email_verified": 1}, "alice@example.com", False),
        ({"email": None}, None, False),
        ({"email": 42}, None, False),
    ],
)
async def test_email_is_verified_only_when_the_token_says_so(oidc, idp, changes, email, verified):
    """Only email_verified true (or the string "true") marks an e-mail present as verified."""
    identity = await oidc.verify(idp.mint(**changes), idp.client_id)

    assert (identity.email, identity.email_verified) == (email, verified)


async def test_valid_tokens_use_the_cached_keys(oidc, idp):
    """Discovery and the JWKS are fetched once for many tokens."""
    for i in range(5):
        await oidc.verify(idp.mint(sub=f"u{i}"), idp.client_id)

    assert dict(idp.requests) == {"discovery": 1, "jwks": 1}


async def test_wrong_issuer_is_invalid(oidc, idp):
    """iss must equal the configured issuer exactly."""
    for iss in ("https://evil.example.com", idp.issuer + "/", idp.issuer.upper()):
        assert await rejected(oidc, idp.mint(iss=iss)) == "wrong issuer"
    assert await rejected(oidc, idp.mint(iss=None)) == "wrong issuer"


@pytest.mark.parametrize("aud", ["someone-else", ["someone-else"], [], None, 7, [["local-client"]]])
async def test_aud_without_idp_client_id_is_invalid(oidc, idp, aud):
    """aud (a string or a list) must contain idp_client_id."""
    assert await rejected(oidc, idp.mint(aud=aud)) == "aud does not contain idp_client_id"


async def test_idp_client_id_not_configured_is_invalid(oidc, idp):
    """An idp_client_id that is not one of the IdP's client ids fails, even if aud names it."""
    token = idp.mint(aud="unconfigured")

    assert await rejected(oidc, token, "unconfigured") == (
        "idp_client_id is not a client of this provider"
    )
    assert idp.requests == {}


async def test_expired_token_is_invalid(oidc, idp):
    """A token expired more than 60 s ago is invalid."""
    assert await rejected(oidc, idp.mint(exp=int(time.time()) - 61)) == "expired"


async def test_expiry_within_60s_of_skew_is_accepted(oidc, idp):
    """A token expired less than 60 s ago still verifies (the IdP's clock is foreign)."""
    assert (await oidc.verify(idp.mint(exp=int(time.time()) - 50), idp.client_id)).sub


async def test_iat_in_the_future_is_invalid(oidc, idp):
    """A token issued more than 60 s in the future is invalid."""
    assert await rejected(oidc, idp.mint(iat=int(time.time()) + 90)) == "issued in the future"


async def test_iat_within_60s_ahead_is_accepted(oidc, idp):
    """A token issued up to 60 s ahead of our clock verifies."""
    assert (await oidc.verify(idp.mint(iat=int(time.time()) + 50), idp.client_id)).sub


@pytest.mark.parametrize("name", ["exp", "iat"])
async def test_missing_time_claims_are_invalid(oidc, idp, name):
    """exp and iat are required."""
    assert await rejected(oidc, idp.mint(**{name: None})) == f"missing or malformed {name}"


@pytest.mark.parametrize("sub", [None, "", 12345, ["u"], "x" * 256])
async def test_missing_or_malformed_sub_is_invalid(oidc, idp, sub):
    """sub is required: a non-empty string of sensible length."""
    assert await rejected(oidc, idp.mint(sub=sub)) == "missing or malformed sub"


async def test_unknown_kid_refetches_once_then_is_invalid(oidc, idp, ticker):
    """An unknown kid refetches discovery and the JWKS once, then the token is invalid."""
    await oidc.verify(idp.mint(), idp.client_id)
    ticker.advance(REFETCH_INTERVAL)

    assert await rejected(oidc, idp.mint(header={"kid": "unknown"})) == "unknown kid"
    assert dict(idp.requests) == {"discovery": 2, "jwks": 2}


async def test_unknown_kids_refetch_at_most_once_per_interval(oidc, idp, ticker):
    """Many unknown-kid tokens, concurrent and sequential, cause at most one refetch per interval."""
    await oidc.verify(idp.mint(), idp.client_id)
    ticker.advance(REFETCH_INTERVAL)
    tokens = [idp.mint(header={"kid": f"made-up-{i}"}) for i in range(30)]

    results = await asyncio.gather(
        *(oidc.verify(t, idp.client_id) for t in tokens), return_exceptions=True
    )
    for token in tokens:
        await rejected(oidc, token)
    assert all(isinstance(r, InvalidIdpToken) for r in results)
    assert idp.requests["jwks"] == 2

    ticker.advance(REFETCH_INTERVAL)
    for token in tokens:
        await rejected(oidc, token)
    assert idp.requests["jwks"] == 3


async def test_key_rotation_is_followed(oidc, idp, ticker):
    """A token signed by a newly published key verifies after the refetch; the retired key's
    tokens then fail."""
    old = idp.mint()
    await oidc.verify(old, idp.client_id)
    idp.rotate()
    ticker.advance(REFETCH_INTERVAL)

    assert (await oidc.verify(idp.mint(sub="after"), idp.client_id)).sub == "after"
    assert await rejected(oidc, old) == "unknown kid"


async def test_key_set_is_refreshed_after_its_max_age(oidc, idp, ticker):
    """A cached key set older than its max age is refetched on next use."""
    await oidc.verify(idp.mint(), idp.client_id)
    ticker.advance(MAX_AGE)

    await oidc.verify(idp.mint(), idp.client_id)

    assert idp.requests["jwks"] == 2


async def test_alg_none_is_invalid(oidc, idp):
    """alg: none with the IdP's kid is refused."""
    assert await rejected(oidc, unsigned(idp.rs.kid, idp.claims())) == "alg is not allowed"


@pytest.mark.parametrize("form", ["pem", "jwk"])
async def test_hs256_keyed_with_the_idp_public_key_is_invalid(oidc, idp, form):
    """HS256 signed with the IdP's public key as the HMAC secret is refused."""
    token = hs256_with_public_key(idp.rs, idp.claims(), form)

    assert await rejected(oidc, token) == "alg is not allowed"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_token_signed_by_another_key_with_the_idp_kid_is_invalid(oidc, idp, alg):
    """A token signed by an unpublished key but naming the IdP's kid fails the signature."""
    kid = idp.rs.kid if alg == "RS256" else idp.es.kid

    assert await rejected(oidc, impostor(kid, idp.claims(), alg)) == "bad key, signature or payload"


async def test_alg_that_does_not_fit_the_named_key_is_invalid(oidc, idp):
    """An ES256 token naming the RSA key's kid is refused."""
    token = sign(idp.es, idp.claims(), kid=idp.rs.kid)

    assert await rejected(oidc, token) == "alg does not fit the key"


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u"])
async def test_key_source_headers_are_invalid(oidc, idp, name):
    """jku, jwk and x5u headers are refused, and never fetched."""
    token = idp.mint(header={name: f"{idp.issuer}/jwks"})

    assert await rejected(oidc, token) == "header names a key source or critical extension"
    assert idp.requests["jwks"] <= 1


async def test_access_token_typ_is_invalid(oidc, idp):
    """A JWT typed at+jwt is an access token, not an ID token (RFC 9068 §2.1)."""
    assert await rejected(oidc, idp.mint(header={"typ": "at+jwt"})) == (
        "an access token, not an ID token"
    )


async def test_token_without_kid_is_invalid(oidc, idp):
    """A token whose header names no kid is refused."""
    assert await rejected(oidc, idp.mint(header={"kid": None})) == "the header names no kid"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 20_000, "e30.e30.e30.e30"])
async def test_malformed_token_is_invalid_without_fetching(oidc, idp, token):
    """Something that is not a JWS is invalid, and costs the IdP no request."""
    with pytest.raises(InvalidIdpToken):
        await oidc.verify(token, idp.client_id)
    assert idp.requests == {}


async def test_rejections_carry_no_token_text(oidc, idp, logs):
    """Neither the errors nor the log lines of rejected tokens hold any part of the token."""
    tokens = [
        idp.mint(iss="https://evil.example.com"),
        idp.mint(exp=1),
        impostor(idp.rs.kid, idp.claims()),
        hs256_with_public_key(idp.rs, idp.claims()),
        idp.mint(header={"kid": "unknown-kid-text"}),
    ]
    for token in tokens:
        with pytest.raises(InvalidIdpToken) as caught:
            await oidc.verify(token, idp.client_id)
        assert_no_token_text(token, caught.value, logs)
    assert {e["event"] for e in logs} >= {"idp.token_rejected", "idp.keys_fetched"}
