"""POST /v1/auth/auth_with_idp, the token checks of the contract: every hostile or wrong ID token
is 401 invalid_grant and opens no session, against the local IdP over real HTTP, on real Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from service.idp.keys import REFETCH_INTERVAL
from service.models import Identity

from ...flows import UNKNOWN_IDP
from ...social import HOSTILE, INVALID_TOKEN, OIDC_ID, SECOND_CLIENT, SUB, hostile


@pytest.mark.parametrize("case", HOSTILE)
async def test_a_token_failing_a_check_is_401_invalid_grant(social, case):
    """Wrong iss or aud, an idp_client_id not configured, expired, future iat, unknown kid,
    alg none, HS256 with the public key, another key under the IdP's kid, no sub: 401."""
    user = await social.user(identities=(Identity(OIDC_ID, SUB),))
    token, idp_client_id = hostile(social.idp, case)

    status, body, resp = await social.login(token, idp_client_id=idp_client_id)

    assert (status, body) == (401, INVALID_TOKEN)
    assert resp.headers["Cache-Control"] == "no-store"
    assert await social.sessions(user) == []


@pytest.mark.parametrize("key", ["rs", "es"])
async def test_rs256_and_es256_tokens_of_the_idp_log_in(social, key):
    """A token signed by the IdP's RS256 or ES256 key, for either configured client id: 200."""
    user = await social.user(identities=(Identity(OIDC_ID, SUB),))
    signer = social.idp.rs if key == "rs" else social.idp.es

    first = await social.login(social.idp.mint(key=signer, sub=SUB))
    second = await social.login(
        social.idp.mint(key=signer, sub=SUB, aud=SECOND_CLIENT), idp_client_id=SECOND_CLIENT
    )

    assert (first[0], second[0]) == (200, 200)
    assert len(await social.sessions(user)) == 2


async def test_skew_within_60_s_is_accepted(social):
    """A foreign clock up to 60 s off: exp 30 s ago and iat 30 s ahead still verify."""
    now = int(time.time())
    await social.user(identities=(Identity(OIDC_ID, SUB),))

    expired = await social.login(social.idp.mint(sub=SUB, iat=now - 300, exp=now - 30))
    ahead = await social.login(social.idp.mint(sub=SUB, iat=now + 30, exp=now + 300))

    assert (expired[0], ahead[0]) == (200, 200)


@pytest.mark.parametrize("idp_id", ["google", "a b", "x" * 200, "local:extra"])
async def test_an_unknown_identity_provider_is_401(social, idp_id):
    """An idp_id that is not configured (or could never be one) is 401 invalid_grant."""
    status, body, _ = await social.login(social.idp.mint(sub=SUB), idp_id=idp_id)

    assert (status, body) == (401, UNKNOWN_IDP)
    assert dict(social.idp.requests) == {}


async def test_a_deleted_identity_provider_is_unknown_at_once(social):
    """After the provider's record is deleted its tokens are refused (no cached configuration)."""
    await social.user(identities=(Identity(OIDC_ID, SUB),))
    assert (await social.login(social.idp.mint(sub=SUB)))[0] == 200

    await social.store.idps.delete(OIDC_ID)
    status, body, _ = await social.login(social.idp.mint(sub=SUB))

    assert (status, body) == (401, UNKNOWN_IDP)


@pytest.mark.slow
async def test_a_rotated_idp_key_is_followed_once_the_refetch_interval_passed(social):
    """The IdP rotates its keys: a new kid is refused while the last fetch is under 5 s old (no
    hammering), then the JWKS is fetched again and the token logs in."""
    await social.user(identities=(Identity(OIDC_ID, SUB),))
    assert (await social.login(social.idp.mint(sub=SUB)))[0] == 200
    new = social.idp.rotate("RS256")

    early = await social.login(social.idp.mint(key=new, sub=SUB))
    await asyncio.sleep(REFETCH_INTERVAL + 0.2)
    later = await social.login(social.idp.mint(key=new, sub=SUB))

    assert (early[0], early[1]) == (401, INVALID_TOKEN)
    assert later[0] == 200
    assert social.idp.requests["jwks"] == 2
