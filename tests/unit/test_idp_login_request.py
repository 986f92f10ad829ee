"""POST /v1/auth/auth_with_idp, the request side: strict form parsing, the marketplace app and its
secret, the SDK's parameters (camelCase copies ignored), and the IdP verifier the app holds."""

from __future__ import annotations

import dataclasses

import pytest
from structlog.testing import capture_logs

from service import context
from service.api.appkeys import IDP_VERIFIER
from service.app import create_app
from service.idp.config import OidcIdp
from service.idp.errors import IdpUnavailable
from service.idp.verifier import IdpVerifier
from service.metrics import METRICS

from ..conftest import make_settings
from ..factories import basic_auth, store_of
from ..factories import make_client as new_app
from ..flows import AUTH_WITH_IDP, UNKNOWN_IDP, idp_form
from ..idp_tokens import new_key, sign
from .support import INVALID_CLIENT, UNAUTHORIZED_CLIENT, assert_no_store, invalid_request, post

SECRET = "marketplace-secret"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLXRoZS1pZHA"
NOT_FORM = invalid_request("The body must be application/x-www-form-urlencoded.")
NOT_ALLOWED = {"error": "method_not_allowed", "error_description": "Method not allowed."}
BASIC_CHALLENGE = 'Basic realm="tokenhouse"'


@pytest.fixture
async def app(client):
    """A marketplace app with a secret (what the web template's server uses)."""
    return await new_app(store_of(client), secret=SECRET)


def form(client_id: str, secret: str | None = SECRET, **extra: str) -> dict[str, str]:
    return idp_form(client_id, secret, "google", "google-client", ID_TOKEN, **extra)


async def test_the_sdk_form_reaches_the_identity_provider_lookup(client, app):
    """The SDK's form from a marketplace app with its secret passes the request checks: here
    no provider is configured, so the answer is 401 invalid_grant with no-store headers."""
    status, body, resp = await post(client, AUTH_WITH_IDP, form(app.client_id))

    assert (status, body) == (401, UNKNOWN_IDP)
    assert_no_store(resp)
    assert "WWW-Authenticate" not in resp.headers


@pytest.mark.parametrize("name", ["idp_id", "idp_client_id", "idp_token"])
async def test_a_missing_idp_parameter_is_invalid_request(client, app, name):
    """Each of idp_id, idp_client_id and idp_token is required (an empty value is absent)."""
    data = form(app.client_id)
    del data[name]

    missing = await post(client, AUTH_WITH_IDP, data)
    empty = await post(client, AUTH_WITH_IDP, {**data, name: ""})

    expected = invalid_request(f"The {name} parameter is required.")
    assert (missing[0], missing[1]) == (empty[0], empty[1]) == (400, expected)


async def test_camel_case_copies_alone_are_ignored(client, app):
    """idpId, idpClientId and idpToken (SDKs before 1.20.1) are unknown parameters: ignored."""
    data = {
        "idpId": "google",
        "idpClientId": "google-client",
        "idpToken": ID_TOKEN,
        "client_id": app.client_id,
        "client_secret": SECRET,
    }

    status, body, _ = await post(client, AUTH_WITH_IDP, data)

    assert (status, body) == (400, invalid_request("The idp_id parameter is required."))


async def test_camel_case_copies_beside_the_parameters_change_nothing(client, app):
    """An old SDK's form (both spellings, the copies naming something else) reads the
    snake_case parameters only."""
    copies = {"idpId": "facebook", "idpClientId": "other", "idpToken": "other-token"}

    status, body, _ = await post(client, AUTH_WITH_IDP, form(app.client_id, **copies))

    assert (status, body) == (401, UNKNOWN_IDP)


@pytest.mark.parametrize(
    "secret", [None, "undefined", "wrong-secret"], ids=["none", "undefined", "wrong"]
)
async def test_the_secret_is_required_and_must_be_right(client, app, secret):
    """No secret, the literal `undefined` (an SDK built without one) or a wrong one: 401
    invalid_client, without a challenge (body credentials)."""
    status, body, resp = await post(client, AUTH_WITH_IDP, form(app.client_id, secret))

    assert (status, body) == (401, INVALID_CLIENT)
    assert "WWW-Authenticate" not in resp.headers


@pytest.mark.parametrize("secret", [None, "undefined"], ids=["none", "undefined"])
async def test_a_marketplace_app_without_a_secret_is_refused(client, secret):
    """A public marketplace app (no secret) cannot log users in with an identity provider."""
    public = await new_app(store_of(client))

    status, body, _ = await post(client, AUTH_WITH_IDP, form(public.client_id, secret))

    assert (status, body) == (401, INVALID_CLIENT)


async def test_an_unknown_app_is_refused_like_a_wrong_secret(client):
    """An unknown client_id answers exactly as a wrong secret does."""
    status, body, _ = await post(client, AUTH_WITH_IDP, form("no-such-app"))

    assert (status, body) == (401, INVALID_CLIENT)


async def test_an_integration_app_is_unauthorized_client(client):
    """An integration app, even with its right secret, may not log users in: 400."""
    integ = await new_app(store_of(client), kind="integration", secret=SECRET)

    status, body, _ = await post(client, AUTH_WITH_IDP, form(integ.client_id))

    assert (status, body) == (400, UNAUTHORIZED_CLIENT)


async def test_basic_authentication_is_accepted(client, app):
    """HTTP Basic with the right secret authenticates as the body credentials do."""
    data = form(app.client_id, None)
    del data["client_id"]

    right = await post(
        client, AUTH_WITH_IDP, data, {"Authorization": basic_auth(app.client_id, SECRET)}
    )
    wrong = await post(
        client, AUTH_WITH_IDP, data, {"Authorization": basic_auth(app.client_id, "nope")}
    )

    assert (right[0], right[1]) == (401, UNKNOWN_IDP)
    assert (wrong[0], wrong[1]) == (401, INVALID_CLIENT)
    assert wrong[2].headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_basic_and_a_body_secret_together_are_invalid_request(client, app):
    """Two client authentication methods at once are refused (RFC 6749 §2.3)."""
    headers = {"Authorization": basic_auth(app.client_id, SECRET)}

    status, body, _ = await post(client, AUTH_WITH_IDP, form(app.client_id), headers)

    assert (status, body) == (
        400,
        invalid_request("Use one client authentication method, not two."),
    )


async def test_a_repeated_parameter_is_invalid_request(client, app):
    """Two idp_token parameters: 400, whichever would have been used."""
    raw = "&".join(f"{k}={v}" for k, v in form(app.client_id).items()) + "&idp_token=second"

    status, body, _ = await post(client, AUTH_WITH_IDP, raw.encode())

    assert (status, body) == (400, invalid_request("A parameter is repeated."))


async def test_a_json_body_is_refused(client, app):
    """A JSON body with the right fields is not a form: 400."""
    resp = await client.post(AUTH_WITH_IDP, json=form(app.client_id))

    assert resp.status == 400
    assert await resp.json() == NOT_FORM


async def test_credentials_in_the_query_string_are_not_read(client, app):
    """client_secret in the query string authenticates nothing."""
    data = form(app.client_id, None)

    status, body, _ = await post(client, f"{AUTH_WITH_IDP}?client_secret={SECRET}", data)

    assert (status, body) == (401, INVALID_CLIENT)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_405(client, method):
    """Only POST: other methods get a JSON 405 with Allow: POST."""
    resp = await client.request(method, AUTH_WITH_IDP)

    assert resp.status == 405
    assert resp.headers["Allow"] == "POST"
    assert await resp.json() == NOT_ALLOWED


async def test_an_oversized_token_is_a_json_4xx(client, app):
    """A 15 KB idp_token is answered with a JSON 4xx, never a 500, and never echoed."""
    data = idp_form(app.client_id, SECRET, "google", "google-client", "A" * 15_000)

    status, body, _ = await post(client, AUTH_WITH_IDP, data)

    assert 400 <= status < 500
    assert "AAAA" not in body["error_description"]


async def test_one_log_event_without_the_token(client, app):
    """Each request logs one token.failed/issued event naming the app; never the token or secret."""
    with capture_logs(processors=[context.merge_into_event]) as logs:
        await post(client, AUTH_WITH_IDP, form(app.client_id))

    [event] = [e for e in logs if e["event"] in ("token.issued", "token.failed")]
    assert (event["event"], event["outcome"], event["status"]) == (
        "token.failed",
        "invalid_grant",
        401,
    )
    assert event["client_id"] == app.client_id and event["client_kind"] == "marketplace"
    assert ID_TOKEN not in repr(logs) and SECRET not in repr(logs)


async def test_requests_are_counted_under_their_own_endpoint(client, app):
    """The request metrics label social login as endpoint auth_with_idp."""
    await post(client, AUTH_WITH_IDP, form(app.client_id))

    metrics = client.server.app[METRICS].render().decode()

    assert (
        'tokenhouse_requests_total{client_kind="marketplace",endpoint="auth_with_idp",'
        'grant="none",outcome="invalid_grant"} 1.0'
    ) in metrics


async def test_metadata_lists_the_endpoint(make_client):
    """RFC 8414 metadata names the social-login endpoint and its client authentication."""
    client = await make_client(tokens={"issuer": "https://auth.example.com/"})

    body = await (await client.get("/.well-known/oauth-authorization-server")).json()

    assert body["auth_with_idp_endpoint"] == "https://auth.example.com/v1/auth/auth_with_idp"
    assert body["auth_with_idp_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]


def hostile_idp() -> tuple[OidcIdp, str]:
    """An OIDC provider on a plain-http loopback port nobody listens on, and a token for it."""
    key = new_key("RS256")
    return OidcIdp("plain", "http://127.0.0.1:9", ("cid",)), sign(key, {"sub": "s"})


async def test_the_running_app_holds_one_verifier(client):
    """While the app runs it holds an IdpVerifier on an open outbound session."""
    verifier = client.server.app[IDP_VERIFIER]
    idp, token = hostile_idp()

    with pytest.raises(IdpUnavailable, match="could not be reached"):
        await verifier.verify(idp, "cid", token)
    assert isinstance(verifier, IdpVerifier)


async def test_production_verifier_refuses_plain_http(aiohttp_client, fake_redis, signing_key):
    """In production the verifier never calls an http:// identity provider (https only)."""
    settings = dataclasses.replace(make_settings(), env="production")
    client = await aiohttp_client(create_app(settings, redis=fake_redis, signing=signing_key))
    idp, token = hostile_idp()

    with pytest.raises(IdpUnavailable, match="refused a http URL"):
        await client.server.app[IDP_VERIFIER].verify(idp, "cid", token)
