"""The strict form parser and the HTTP layer around it (RFC 6749 §2.3.1, §3.2, Appendix B)."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from aiohttp import web

from service.api.parsing import client_source, parse_form
from service.errors import ErrorCode, OAuthError

from ..factories import basic_auth, store_of
from ..factories import make_client as new_app
from .support import (
    FORM,
    INVALID_CLIENT,
    TOKEN,
    assert_no_store,
    invalid_request,
    token,
)

BASIC_CHALLENGE = 'Basic realm="tokenhouse"'
MALFORMED_BASIC = {"error": "invalid_client", "error_description": "Malformed Basic credentials."}
NOT_A_FORM = invalid_request("The body must be application/x-www-form-urlencoded.")


def form_error(body: bytes) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        parse_form(body)
    assert caught.value.code is ErrorCode.INVALID_REQUEST
    return caught.value


# parse_form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"a=%ZZ", "Malformed percent-encoding in parameter values."),
        (b"a=%2", "Malformed percent-encoding in parameter values."),
        (b"a%G1=1", "Malformed percent-encoding in parameter names."),
        (b"a=%C3%28", "Invalid UTF-8 in parameter values."),
        (b"a=\xff", "Invalid UTF-8 in parameter values."),
        (b"a=%00", "Control characters are not allowed in parameter values."),
        (b"a=x\x00y", "Control characters are not allowed in parameter values."),
        (b"a%00=1", "Control characters are not allowed in parameter names."),
        (b"a=1&a=2", "A parameter is repeated."),
        (b"a=&a=2", "A parameter is repeated."),
        (b"a=1&" + b"&".join(b"p%d=1" % i for i in range(64)), "Too many parameters."),
    ],
)
def test_parse_form_refuses_irregular_bodies(body, description):
    """Bad percent-encoding, invalid UTF-8, control characters, duplicates and floods are refused."""
    error = form_error(body)

    assert error.description == description


def test_plus_and_percent20_both_decode_to_space():
    """`+` (HTML forms) and `%20` (the SDKs) both mean a space."""
    assert parse_form(b"a=x+y&b=x%20y&c=%2B") == {"a": "x y", "b": "x y", "c": "+"}


def test_empty_values_count_as_absent():
    """`a=` and a bare `a` are treated as if the parameter were not sent."""
    assert parse_form(b"a=&b&c=1&&") == {"c": "1"}


def test_utf8_values_decode():
    """Percent-encoded UTF-8 decodes to text."""
    assert parse_form(b"username=j%C3%BCrgen%40example.com") == {"username": "jürgen@example.com"}


# the HTTP layer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "description"),
    [
        (b"grant_type=%ZZ", "Malformed percent-encoding in parameter values."),
        (b"grant_type=%C3%28", "Invalid UTF-8 in parameter values."),
        (b"grant_type=password%00", "Control characters are not allowed in parameter values."),
        (b"grant_type=password&grant_type=password", "A parameter is repeated."),
    ],
)
async def test_malformed_bodies_answer_400_json(client, raw, description):
    """A malformed form body is 400 invalid_request with a JSON body."""
    status, body, resp = await token(client, raw)

    assert status == 400
    assert body == invalid_request(description)
    assert_no_store(resp)


async def test_multipart_body_is_refused(client):
    """multipart/form-data is not a form body here."""
    data = aiohttp.FormData()
    data.add_field("grant_type", "client_credentials")
    data.add_field("file", b"x" * 10, filename="x.bin")

    resp = await client.post(TOKEN, data=data)

    assert resp.status == 400
    assert await resp.json() == NOT_A_FORM


async def test_json_body_is_refused(client):
    """A JSON body is 400 invalid_request, not an empty form."""
    resp = await client.post(TOKEN, json={"grant_type": "client_credentials"})

    assert resp.status == 400
    assert await resp.json() == NOT_A_FORM


async def test_missing_content_type_is_refused(client):
    """A body without a Content-Type is 400 invalid_request."""
    resp = await client.post(
        TOKEN, data=b"grant_type=client_credentials", skip_auto_headers=["Content-Type"]
    )

    assert resp.status == 400
    assert await resp.json() == NOT_A_FORM


async def test_non_utf8_charset_is_refused(client):
    """A form declared in another charset is 400 invalid_request."""
    status, body, _ = await token(
        client, b"grant_type=password", {"Content-Type": f"{FORM}; charset=iso-8859-1"}
    )

    assert status == 400
    assert body == invalid_request("Only the UTF-8 charset is supported.")


async def test_utf8_charset_is_accepted(client, services, store):
    """A form declared as UTF-8 is parsed."""
    app = await new_app(store)
    raw = f"grant_type=client_credentials&client_id={app.client_id}".encode()

    status, body, _ = await token(client, raw, {"Content-Type": f"{FORM}; charset=UTF-8"})

    assert status == 200, body


async def test_percent20_scope_from_the_sdk_is_accepted(client, services, store):
    """The SDKs' `%20`-encoded body parses like any other."""
    app = await new_app(store)
    raw = f"grant_type=client_credentials&client_id={app.client_id}&scope=public-read".encode()

    status, body, _ = await token(client, raw)

    assert status == 200 and body["scope"] == "public-read"


# HTTP Basic ---------------------------------------------------------------------------------


async def test_basic_credentials_are_form_urlencoded_before_base64(client, services, store):
    """RFC 6749 Appendix B: an id and secret with reserved characters authenticate via Basic."""
    secret = "s:e+c r%t/é&="
    app = await new_app(store, kind="integration", secret=secret)

    status, body, _ = await token(
        client,
        {"grant_type": "client_credentials", "scope": "integ"},
        {"Authorization": basic_auth(app.client_id, secret)},
    )

    assert status == 200, body
    assert body["scope"] == "integ"


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
async def test_basic_scheme_is_case_insensitive(client, services, store, scheme):
    """The Basic scheme name matches case-insensitively."""
    app = await new_app(store, kind="integration", secret="pw")
    header = basic_auth(app.client_id, "pw").replace("Basic", scheme)

    status, body, _ = await token(
        client, {"grant_type": "client_credentials"}, {"Authorization": header}
    )

    assert status == 200, body


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b":secret-without-id").decode(),
        "Basic " + base64.b64encode(b"id:%ZZ").decode(),
        "Basic",
    ],
)
async def test_malformed_basic_credentials_are_401_with_challenge(client, header):
    """Malformed Basic credentials are 401 invalid_client with WWW-Authenticate: Basic."""
    status, body, resp = await token(
        client, {"grant_type": "client_credentials"}, {"Authorization": header}
    )

    assert status == 401
    expected = (
        MALFORMED_BASIC
        if header != "Basic"
        else {"error": "invalid_client", "error_description": "Unsupported authorization scheme."}
    )
    assert body == expected
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_unsupported_authorization_scheme_is_401(client):
    """An Authorization scheme other than Basic is 401 invalid_client with a Basic challenge."""
    status, body, resp = await token(
        client, {"grant_type": "client_credentials"}, {"Authorization": "Digest abc"}
    )

    assert status == 401
    assert body == {
        "error": "invalid_client",
        "error_description": "Unsupported authorization scheme.",
    }
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_bearer_does_not_authenticate_a_client_at_the_token_endpoint(client):
    """A Bearer header on the token endpoint is 401 invalid_client."""
    status, body, resp = await token(
        client, {"grant_type": "client_credentials"}, {"Authorization": "Bearer abc"}
    )

    assert status == 401
    assert body == {
        "error": "invalid_client",
        "error_description": "Bearer tokens do not authenticate clients here.",
    }
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_basic_with_wrong_secret_is_401_with_challenge(client, services, store):
    """A wrong secret sent by Basic is 401 invalid_client with a Basic challenge."""
    app = await new_app(store, kind="integration", secret="right")

    status, body, resp = await token(
        client,
        {"grant_type": "client_credentials"},
        {"Authorization": basic_auth(app.client_id, "wrong")},
    )

    assert status == 401
    assert body == INVALID_CLIENT
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_basic_plus_body_secret_is_400(client, services, store):
    """Two client authentication methods at once are 400 invalid_request."""
    app = await new_app(store, kind="integration", secret="pw")

    status, body, _ = await token(
        client,
        {"grant_type": "client_credentials", "client_secret": "pw"},
        {"Authorization": basic_auth(app.client_id, "pw")},
    )

    assert status == 400
    assert body == invalid_request("Use one client authentication method, not two.")


async def test_basic_id_differing_from_body_client_id_is_400(client, services, store):
    """A body client_id that differs from the Basic id is 400 invalid_request."""
    app = await new_app(store, kind="integration", secret="pw")

    status, body, _ = await token(
        client,
        {"grant_type": "client_credentials", "client_id": "someone-else"},
        {"Authorization": basic_auth(app.client_id, "pw")},
    )

    assert status == 400
    assert body == invalid_request("The client_id does not match the Basic credentials.")


async def test_basic_id_equal_to_body_client_id_is_accepted(client, services, store):
    """A body client_id equal to the Basic id is allowed."""
    app = await new_app(store, kind="integration", secret="pw")

    status, body, _ = await token(
        client,
        {"grant_type": "client_credentials", "client_id": app.client_id},
        {"Authorization": basic_auth(app.client_id, "pw")},
    )

    assert status == 200, body


# limits, methods, paths ---------------------------------------------------------------------


async def test_body_over_the_limit_is_413_json(client, settings):
    """A body larger than server.body_limit is answered 413 as JSON."""
    raw = b"grant_type=password&pad=" + b"x" * settings.server.body_limit

    status, body, resp = await token(client, raw)

    assert status == 413
    assert body == {"error": "request_too_large", "error_description": "The request is too large."}
    assert_no_store(resp)


async def test_get_on_the_token_endpoint_is_405_json(client):
    """GET /v1/auth/token is 405 with Allow: POST and a JSON body."""
    resp = await client.get(TOKEN)

    assert resp.status == 405
    assert resp.headers["Allow"] == "POST"
    assert await resp.json() == {
        "error": "method_not_allowed",
        "error_description": "Method not allowed.",
    }


async def test_unknown_path_is_404_json(client):
    """An unknown path is 404 with a JSON body."""
    resp = await client.post("/v1/auth/nothing", data={"a": "b"})

    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "not_found", "error_description": "Not found."}


# client_source ------------------------------------------------------------------------------


@pytest.fixture
async def source_client(aiohttp_client):
    """A bare app whose handler answers client_source(request, hops)."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=client_source(request, int(request.query["hops"])))

    app = web.Application()
    app.router.add_get("/", handler)
    return await aiohttp_client(app)


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, None, "127.0.0.1"),
        (0, "203.0.113.7", "127.0.0.1"),
        (1, None, "127.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),
        (3, "198.51.100.1", "198.51.100.1"),
        (1, "not-an-address", "127.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
async def test_x_forwarded_for_is_believed_only_through_proxy_hops(
    source_client, hops, forwarded, expected
):
    """X-Forwarded-For is ignored without proxy_hops; with N hops the Nth address from the right."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}

    resp = await source_client.get("/", params={"hops": str(hops)}, headers=headers)

    assert await resp.text() == expected


async def test_forwarded_source_feeds_login_throttling(make_client):
    """With proxy_hops=1 failed logins are counted for the forwarded address."""
    client = await make_client(server={"proxy_hops": 1})
    store = store_of(client)
    app = await new_app(store)

    await token(
        client,
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": "a@b.c",
            "password": "x",
        },
        {"X-Forwarded-For": "203.0.113.7"},
    )

    redis = store.redis
    assert await redis.get(store.keys.failures_source("203.0.113.7")) == b"1"
    assert await redis.get(store.keys.failures_source("127.0.0.1")) is None
