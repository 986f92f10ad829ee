"""Facebook user access tokens against the local Graph stand-in: debug_token, then /me."""

from __future__ import annotations

import time

import pytest

from service.idp.config import FacebookIdp
from service.idp.errors import IdpUnavailable, InvalidIdpToken
from service.idp.facebook import FacebookVerifier
from service.idp.identity import VerifiedIdentity

from ...redis_proc import free_port
from .conftest import UNAVAILABLE_BOUND, assert_no_token_text


async def rejected(facebook, token: str, client_id: str) -> str:
    with pytest.raises(InvalidIdpToken) as caught:
        await facebook.verify(token, client_id)
    return str(caught.value)


async def unavailable(facebook, token: str, client_id: str) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(IdpUnavailable) as caught:
        await facebook.verify(token, client_id)
    return str(caught.value), time.monotonic() - started


async def test_valid_token_gives_the_user_and_a_verified_email(facebook, idp):
    """A valid token of this app gives the Facebook user id and e-mail, counted as verified."""
    token = idp.facebook_token("1001", "bob@example.com")

    identity = await facebook.verify(token, idp.fb_app_id)

    assert identity == VerifiedIdentity("facebook", "1001", "bob@example.com", True)
    assert dict(idp.requests) == {"debug_token": 1, "me": 1}


async def test_valid_token_without_email_has_no_verified_email(facebook, idp):
    """A user who did not share an e-mail verifies with no e-mail."""
    identity = await facebook.verify(idp.facebook_token("1002", None), idp.fb_app_id)

    assert identity == VerifiedIdentity("facebook", "1002", None, False)


async def test_unknown_token_is_invalid(facebook, idp):
    """A token Graph does not know is invalid (debug_token says is_valid false)."""
    assert await rejected(facebook, "EAAnot-a-real-token", idp.fb_app_id) == (
        "graph says the token is not valid"
    )
    assert "me" not in idp.requests


async def test_revoked_token_is_invalid(facebook, idp):
    """A token Graph reports as no longer valid is invalid."""
    token = idp.facebook_token("1003", valid=False)

    assert await rejected(facebook, token, idp.fb_app_id) == "graph says the token is not valid"


async def test_token_of_another_app_is_invalid(facebook, idp):
    """A valid token issued to another Facebook app is invalid (app_id must match)."""
    token = idp.facebook_token("1004", app_id="999999")

    assert await rejected(facebook, token, idp.fb_app_id) == "the token belongs to another app"


async def test_idp_client_id_other_than_the_app_id_is_invalid(facebook, idp):
    """idp_client_id must be the configured app id; nothing is sent to Graph otherwise."""
    token = idp.facebook_token("1005", app_id="999999")

    assert await rejected(facebook, token, "999999") == (
        "idp_client_id is not this provider's app id"
    )
    assert idp.requests == {}


async def test_wrong_app_secret_is_refused_by_graph(idp, session, facebook_config):
    """A wrong configured app secret: Graph refuses debug_token (400), the login fails."""
    config = FacebookIdp("facebook", idp.fb_app_id, "wrong-secret", graph_url=idp.graph_url)
    verifier = FacebookVerifier(config, session, production=False)

    assert await rejected(verifier, idp.facebook_token(), idp.fb_app_id) == (
        "graph refused the token on debug_token (error code 190)"
    )


@pytest.mark.parametrize("token", ["", "x" * 5000, "EAA\nB", "EAA\n", "EAA token", "EAAé"])
async def test_malformed_token_is_invalid_without_a_request(facebook, idp, token):
    """An empty, oversized or non-printable token is refused before any request."""
    assert await rejected(facebook, token, idp.fb_app_id) == "malformed token"
    assert idp.requests == {}


async def test_graph_unreachable_is_unavailable(session):
    """Nothing listens at graph_url: IdpUnavailable at once."""
    graph = f"http://127.0.0.1:{free_port()}/graph"
    verifier = FacebookVerifier(
        FacebookIdp("facebook", "123", "secret", graph_url=graph), session, production=False
    )

    reason, elapsed = await unavailable(verifier, "EAAsome-token", "123")

    assert reason == "identity provider could not be reached (ClientConnectorError)"
    assert elapsed < UNAVAILABLE_BOUND


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["debug_token", "me"])
async def test_graph_stalled_is_unavailable_within_about_2s(facebook, idp, endpoint):
    """A stalled Graph call is unavailable within the 2 s budget (both calls share it)."""
    idp.fail(endpoint, "stall")

    reason, elapsed = await unavailable(facebook, idp.facebook_token(), idp.fb_app_id)

    assert reason == "identity provider did not answer in time"
    assert 1.5 < elapsed < UNAVAILABLE_BOUND, elapsed


@pytest.mark.parametrize("endpoint", ["debug_token", "me"])
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "identity provider answered HTTP 500"),
        ("garbage", "identity provider answered a body that is not JSON"),
        ("wrong_shape", "identity provider answered JSON of the wrong shape"),
        ("huge", "identity provider answered a body over the size limit"),
        ("huge_chunked", "identity provider answered a body over the size limit"),
    ],
)
async def test_graph_broken_answers_are_unavailable(facebook, idp, endpoint, mode, reason):
    """Graph answering 500, non-JSON, the wrong shape or a huge body is unavailable."""
    idp.fail(endpoint, mode)

    got, _ = await unavailable(facebook, idp.facebook_token(), idp.fb_app_id)

    assert got == reason


async def test_production_refuses_an_http_graph_url(facebook_config, idp, session):
    """In production, Graph over http is refused before the token leaves the process."""
    verifier = FacebookVerifier(facebook_config, session, production=True)

    reason, _ = await unavailable(verifier, idp.facebook_token(), idp.fb_app_id)

    assert reason == "refused a http URL for an identity provider"
    assert idp.requests == {}


async def test_failures_carry_no_token_text(facebook, idp, logs):
    """Neither errors nor log lines hold the user token or the app secret."""
    token = idp.facebook_token()
    idp.fail("me", "error")
    with pytest.raises(IdpUnavailable) as down:
        await facebook.verify(token, idp.fb_app_id)
    other = idp.facebook_token(app_id="999999")
    with pytest.raises(InvalidIdpToken) as invalid:
        await facebook.verify(other, idp.fb_app_id)

    assert_no_token_text(token, down.value, logs)
    assert_no_token_text(other, invalid.value, logs)
    assert_no_token_text(idp.fb_app_secret, down.value, logs)
