"""POST /v1/auth/auth_with_idp when the identity provider fails (503 within about 2 s, while a
cached key still verifies), and Facebook tokens through the Graph stand-in."""

from __future__ import annotations

import base64
import time

import pytest

from service.idp.config import FacebookIdp
from service.models import Identity

from ...factories import make_client, store_of
from ...flows import AUTH_WITH_IDP, UNAVAILABLE, idp_form
from ...social import FACEBOOK_ID, INVALID_TOKEN, NO_USER, OIDC_ID
from .conftest import UNAVAILABLE_BOUND


def assert_unavailable(status, body, resp) -> None:
    assert (status, body) == (503, UNAVAILABLE)
    assert resp.headers["Retry-After"] == "5"
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["discovery", "jwks"])
async def test_a_stalled_idp_with_no_cached_key_is_503_within_about_2s(social, endpoint):
    """Discovery or the JWKS hangs and no key is cached: 503 temporarily_unavailable with
    Retry-After, within the ~2 s budget, and no session."""
    user = await social.user(identities=(Identity(OIDC_ID, "s1"),))
    social.idp.fail(endpoint, "stall")

    started = time.monotonic()
    status, body, resp = await social.login(social.idp.mint(sub="s1"))
    elapsed = time.monotonic() - started

    assert_unavailable(status, body, resp)
    assert elapsed < UNAVAILABLE_BOUND
    assert await social.sessions(user) == []


@pytest.mark.parametrize("mode", ["error", "garbage", "huge", "huge_chunked", "redirect"])
async def test_an_idp_answering_garbage_is_503(social, mode):
    """A JWKS answering 500, HTML, a huge body or a redirect is refused cleanly: 503."""
    await social.user(identities=(Identity(OIDC_ID, "s2"),))
    social.idp.fail("jwks", mode)

    status, body, resp = await social.login(social.idp.mint(sub="s2"))

    assert_unavailable(status, body, resp)


async def test_an_unreachable_idp_is_503(social):
    """Nothing listens at the issuer any more: 503, fast."""
    await social.user(identities=(Identity(OIDC_ID, "s3"),))
    token = social.idp.mint(sub="s3")
    await social.idp.stop()

    started = time.monotonic()
    status, body, resp = await social.login(token)

    assert_unavailable(status, body, resp)
    assert time.monotonic() - started < UNAVAILABLE_BOUND


async def test_a_cached_key_still_verifies_while_the_idp_is_down(social):
    """Once its keys are cached, tokens signed with them log in while the IdP is down; a token
    under a kid never seen is then 503, not 401 (the keys cannot be asked for)."""
    await social.user(identities=(Identity(OIDC_ID, "s4"),))
    assert (await social.login(social.idp.mint(sub="s4")))[0] == 200
    social.idp.fail("discovery", "stall")
    social.idp.fail("jwks", "stall")

    started = time.monotonic()
    status, _, _ = await social.login(social.idp.mint(sub="s4"))
    elapsed = time.monotonic() - started

    assert status == 200
    assert elapsed < 1.0
    assert social.idp.requests["jwks"] == 1


# ---- Facebook through the Graph stand-in ----


async def test_a_linked_facebook_user_logs_in(social):
    """A Facebook user access token checked by debug_token and /me logs the linked user in."""
    user = await social.user(identities=(Identity(FACEBOOK_ID, "1001"),))

    status, body, _ = await social.login(
        social.idp.facebook_token("1001", None), idp_id=FACEBOOK_ID
    )

    assert status == 200 and body["scope"] == "user"
    assert len(await social.sessions(user)) == 1
    assert {k: social.idp.requests[k] for k in ("debug_token", "me")} == {
        "debug_token": 1,
        "me": 1,
    }


async def test_a_facebook_email_links_the_user_with_that_verified_email(social):
    """Facebook's e-mail counts as verified: the user with that verified e-mail is linked."""
    user = await social.user(email="bob@example.com")

    status, _, _ = await social.login(
        social.idp.facebook_token("2002", "bob@example.com"), idp_id=FACEBOOK_ID
    )

    assert status == 200
    assert (await social.store.users.get(user.user_id)).identities == (
        Identity(FACEBOOK_ID, "2002"),
    )


@pytest.mark.parametrize(
    "case", ["revoked token", "another app's token", "idp_client_id not the app id", "unknown"]
)
async def test_a_facebook_token_graph_refuses_is_401(social, case):
    """Graph says invalid, the token is another app's, the idp_client_id is not the configured
    app id, or Graph never issued it: 401 invalid_grant."""
    await social.user(identities=(Identity(FACEBOOK_ID, "3003"),))
    idp = social.idp
    token, client_id = {
        "revoked token": (idp.facebook_token("3003", None, valid=False), idp.fb_app_id),
        "another app's token": (idp.facebook_token("3003", None, app_id="999"), idp.fb_app_id),
        "idp_client_id not the app id": (idp.facebook_token("3003", None), "999"),
        "unknown": ("EAA" + "x" * 40, idp.fb_app_id),
    }[case]

    status, body, _ = await social.login(token, idp_id=FACEBOOK_ID, idp_client_id=client_id)

    assert (status, body) == (401, INVALID_TOKEN)


async def test_an_unknown_facebook_user_is_401(social):
    """A valid token of a Facebook user nobody is linked to, with no e-mail: 401 (sign up)."""
    status, body, _ = await social.login(
        social.idp.facebook_token("4004", None), idp_id=FACEBOOK_ID
    )

    assert (status, body) == (401, NO_USER)


@pytest.mark.slow
async def test_graph_stalled_is_503_within_about_2s(social):
    """debug_token hangs: 503 temporarily_unavailable within the budget."""
    social.idp.fail("debug_token", "stall")

    started = time.monotonic()
    status, body, resp = await social.login(
        social.idp.facebook_token("5005", None), idp_id=FACEBOOK_ID
    )

    assert_unavailable(status, body, resp)
    assert time.monotonic() - started < UNAVAILABLE_BOUND


async def test_a_facebook_secret_sealed_under_another_server_key_is_503(make_app, idp):
    """The server key changed since the Facebook provider was added: its secret cannot be
    opened, so the answer is 503 (an operator must fix the key), never 500 or the secret."""
    first = await make_app()
    await store_of(first).idps.create(
        FacebookIdp(FACEBOOK_ID, idp.fb_app_id, idp.fb_app_secret, graph_url=idp.graph_url)
    )
    other_key = base64.b64encode(b"k" * 32).decode()
    client = await make_app(secrets={"server_key": other_key})
    app = await make_client(store_of(client), secret="s3cret")
    form = idp_form(
        app.client_id, "s3cret", FACEBOOK_ID, idp.fb_app_id, idp.facebook_token("6006", None)
    )

    async with client.post(AUTH_WITH_IDP, data=form) as resp:
        status, body = resp.status, await resp.json()

    assert (status, body) == (503, UNAVAILABLE)
    assert dict(idp.requests) == {}
