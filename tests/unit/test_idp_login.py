"""Social login's decisions on fakeredis, with the local IdP served in-process: every token check
of the contract, then who logs in (link, verified e-mail, or nobody)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.models import Identity

from ..flows import UNKNOWN_IDP, jwt_parts
from ..idp_server import LocalIdp
from ..social import FACEBOOK_ID, HOSTILE, INVALID_TOKEN, NO_USER, OIDC_ID, SUB, Social, hostile


@pytest.fixture
async def social(client) -> AsyncIterator[Social]:
    """The unit app (fakeredis) with a local IdP configured."""
    async with LocalIdp() as idp:
        yield await Social.configure(client, idp)


def subject(body: dict) -> str:
    return str(jwt_parts(body["access_token"])[1]["sub"])


@pytest.mark.parametrize("case", HOSTILE)
async def test_every_token_check_refuses_with_401(social, case):
    """Each failed check of the ID token (iss, aud, client id, exp, iat, kid, alg, key, sub):
    401 invalid_grant, and the linked user gets no session."""
    user = await social.user(identities=(Identity(OIDC_ID, SUB),))
    token, idp_client_id = hostile(social.idp, case)

    status, body, _ = await social.login(token, idp_client_id=idp_client_id)

    assert (status, body) == (401, INVALID_TOKEN)
    assert await social.sessions(user) == []


async def test_the_linked_user_logs_in(social):
    """The user linked to (idp_id, sub) gets a user session: 200."""
    user = await social.user(identities=(Identity(OIDC_ID, "a"),))

    status, body, _ = await social.login(social.idp.mint(sub="a"))

    assert status == 200 and body["scope"] == "user" and subject(body) == user.user_id


async def test_a_verified_email_links_then_logs_in(social):
    """No link, both e-mails verified: the identity is linked and the user logs in."""
    user = await social.user(email="v@example.com")

    status, body, _ = await social.login(social.idp.mint(sub="v", email="v@example.com"))

    assert status == 200 and subject(body) == user.user_id
    assert (await social.store.users.get(user.user_id)).identities == (Identity(OIDC_ID, "v"),)


@pytest.mark.parametrize(
    ("token_verified", "user_verified", "other_link"),
    [(False, True, False), (True, False, False), (True, True, True)],
    ids=["token-email-unverified", "user-email-unverified", "user-has-another-sub"],
)
async def test_no_link_without_both_verified_emails_and_a_free_provider_slot(
    social, token_verified, user_verified, other_link
):
    """The token's e-mail unverified, the user's unverified, or the user already linked to
    another account of the provider: 401, and the user's links stay as they were."""
    links = (Identity(OIDC_ID, "other"),) if other_link else ()
    user = await social.user(email="w@example.com", email_verified=user_verified, identities=links)

    status, body, _ = await social.login(
        social.idp.mint(sub="w", email="w@example.com", email_verified=token_verified)
    )

    assert (status, body) == (401, NO_USER)
    assert (await social.store.users.get(user.user_id)).identities == links


async def test_the_identitys_owner_logs_in_not_the_email_owner(social):
    """An identity linked to B, a token carrying A's verified e-mail: B logs in, A is untouched."""
    a = await social.user(email="a@example.com")
    b = await social.user(identities=(Identity(OIDC_ID, "b"),))

    status, body, _ = await social.login(social.idp.mint(sub="b", email="a@example.com"))

    assert status == 200 and subject(body) == b.user_id
    assert (await social.store.users.get(a.user_id)).identities == ()


async def test_a_disabled_user_is_refused(social):
    """A disabled linked user: 401 invalid_grant."""
    await social.user(identities=(Identity(OIDC_ID, "d"),), disabled=True)

    assert (await social.login(social.idp.mint(sub="d")))[:2] == (401, NO_USER)


async def test_an_unknown_provider_is_refused(social):
    """An idp_id nobody configured: 401 invalid_grant, the IdP never asked."""
    status, body, _ = await social.login(social.idp.mint(sub="x"), idp_id="google")

    assert (status, body) == (401, UNKNOWN_IDP)
    assert dict(social.idp.requests) == {}


async def test_a_linked_facebook_user_logs_in(social):
    """A Facebook token the Graph stand-in vouches for logs the linked user in."""
    user = await social.user(identities=(Identity(FACEBOOK_ID, "77"),))

    status, body, _ = await social.login(social.idp.facebook_token("77", None), idp_id=FACEBOOK_ID)

    assert status == 200 and subject(body) == user.user_id
