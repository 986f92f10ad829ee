"""OIDC against a failing IdP: down, slow, 500, garbage or huge bodies; https only in production."""

from __future__ import annotations

import time

import pytest

from service.idp.config import OidcIdp
from service.idp.errors import IdpUnavailable
from service.idp.fetch import check_url
from service.idp.keys import REFETCH_INTERVAL
from service.idp.oidc import OidcVerifier

from ...idp_tokens import new_key, sign
from ...redis_proc import free_port
from .conftest import UNAVAILABLE_BOUND, assert_no_token_text


async def unavailable(oidc, token: str, client_id: str = "local-client") -> tuple[str, float]:
    """The IdpUnavailable reason and how long it took to come."""
    started = time.monotonic()
    with pytest.raises(IdpUnavailable) as caught:
        await oidc.verify(token, client_id)
    return str(caught.value), time.monotonic() - started


async def test_idp_down_with_a_cached_key_still_verifies(oidc, idp):
    """Once its keys are cached, tokens signed with them verify while the IdP is down."""
    await oidc.verify(idp.mint(), idp.client_id)
    await idp.stop()

    assert (await oidc.verify(idp.mint(sub="during-outage"), idp.client_id)).sub == "during-outage"
    assert (await oidc.verify(idp.mint(key=idp.es), idp.client_id)).sub == "user-1"


async def test_idp_stalled_with_a_cached_key_answers_at_once(oidc, idp):
    """A stalled JWKS does not slow tokens whose key is cached."""
    await oidc.verify(idp.mint(), idp.client_id)
    idp.fail("discovery", "stall")
    idp.fail("jwks", "stall")
    started = time.monotonic()

    await oidc.verify(idp.mint(), idp.client_id)

    assert time.monotonic() - started < 0.5


async def test_idp_down_with_no_key_is_unavailable_fast(oidc_config, session, ticker):
    """Nothing listens at the issuer and nothing is cached: IdpUnavailable at once."""
    issuer = f"http://127.0.0.1:{free_port()}"
    config = OidcIdp("down", issuer, oidc_config.client_ids)
    oidc = OidcVerifier(config, session, production=False, monotonic=ticker)

    token = sign(new_key(), {"iss": issuer, "aud": "local-client", "sub": "u"})
    reason, elapsed = await unavailable(oidc, token)

    assert reason == "identity provider could not be reached (ClientConnectorError)"
    assert elapsed < UNAVAILABLE_BOUND


async def test_unknown_kid_while_the_idp_is_down_is_unavailable(oidc, idp, ticker):
    """An unknown kid that cannot be looked up is unavailable, not invalid (it may be a new key)."""
    await oidc.verify(idp.mint(), idp.client_id)
    idp.fail("jwks", "error")
    ticker.advance(REFETCH_INTERVAL)

    reason, _ = await unavailable(oidc, idp.mint(header={"kid": "new-kid"}))

    assert reason == "identity provider answered HTTP 500"


async def test_failure_is_remembered_for_the_refetch_interval(oidc, idp, ticker):
    """After a failed fetch, requests fail fast without asking the IdP again; then it recovers."""
    idp.fail("discovery", "error")
    await unavailable(oidc, idp.mint())
    await unavailable(oidc, idp.mint())
    assert idp.requests == {"discovery": 1}

    idp.heal()
    ticker.advance(REFETCH_INTERVAL)
    assert (await oidc.verify(idp.mint(), idp.client_id)).sub == "user-1"


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["discovery", "jwks"])
async def test_stalled_idp_with_no_key_is_unavailable_within_about_2s(oidc, idp, endpoint):
    """A stalled discovery or JWKS endpoint is unavailable within the 2 s budget, not its 30 s."""
    idp.fail(endpoint, "stall")

    reason, elapsed = await unavailable(oidc, idp.mint())

    assert reason == "identity provider did not answer in time"
    assert 1.5 < elapsed < UNAVAILABLE_BOUND, elapsed


@pytest.mark.parametrize("endpoint", ["discovery", "jwks"])
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "identity provider answered HTTP 500"),
        ("redirect", "identity provider answered HTTP 302"),
        ("garbage", "identity provider answered a body that is not JSON"),
        ("huge", "identity provider answered a body over the size limit"),
        ("huge_chunked", "identity provider answered a body over the size limit"),
    ],
)
async def test_broken_answers_are_unavailable(oidc, idp, endpoint, mode, reason):
    """500s, redirects, non-JSON and huge bodies (with or without a length) are refused cleanly."""
    idp.fail(endpoint, mode)

    got, elapsed = await unavailable(oidc, idp.mint())

    assert got == reason
    assert elapsed < UNAVAILABLE_BOUND


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("discovery", "identity provider discovery names no jwks_uri"),
        ("jwks", "identity provider published a JWKS of the wrong shape"),
    ],
)
async def test_json_of_the_wrong_shape_is_unavailable(oidc, idp, endpoint, reason):
    """A discovery document or JWKS that is JSON but not the right object is refused."""
    idp.fail(endpoint, "wrong_shape")

    assert (await unavailable(oidc, idp.mint()))[0] == reason


async def test_discovery_naming_another_issuer_is_unavailable(oidc, idp):
    """The discovered issuer must equal the configured one (OIDC Discovery §4.3)."""
    idp.discovery_overrides["issuer"] = "https://evil.example.com"

    reason, _ = await unavailable(oidc, idp.mint())

    assert reason == "identity provider discovery names another issuer"
    assert "jwks" not in idp.requests


async def test_discovery_naming_a_non_http_jwks_uri_is_unavailable(oidc, idp):
    """A jwks_uri that is not an http(s) URL is never fetched."""
    idp.discovery_overrides["jwks_uri"] = "file:///etc/passwd"

    assert (await unavailable(oidc, idp.mint()))[0] == (
        "refused a file URL for an identity provider"
    )


async def test_production_refuses_an_http_issuer_without_a_request(oidc_config, idp, session):
    """In production, discovery over http is refused before any request leaves."""
    oidc = OidcVerifier(oidc_config, session, production=True)

    reason, _ = await unavailable(oidc, idp.mint())

    assert reason == "refused a http URL for an identity provider"
    assert idp.requests == {}


@pytest.mark.parametrize(
    ("url", "production", "allowed"),
    [
        ("https://www.googleapis.com/oauth2/v3/certs", True, True),
        ("http://idp.example.com/jwks", True, False),
        ("http://127.0.0.1:9000/jwks", False, True),
        ("ftp://idp.example.com/jwks", False, False),
        ("/jwks", False, False),
    ],
)
def test_outbound_urls_are_https_only_in_production(url, production, allowed):
    """Discovery and jwks_uri URLs must be https in production, http(s) elsewhere."""
    if allowed:
        check_url(url, production=production)
    else:
        with pytest.raises(IdpUnavailable):
            check_url(url, production=production)


async def test_unavailable_errors_carry_no_token_text(oidc, idp, logs):
    """Fault errors and their log lines hold no part of the token."""
    idp.fail("jwks", "garbage")
    token = idp.mint()

    with pytest.raises(IdpUnavailable) as caught:
        await oidc.verify(token, idp.client_id)

    assert_no_token_text(token, caught.value, logs)
    assert caught.value.__cause__ is None
