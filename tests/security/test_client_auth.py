"""Client authentication edge cases: RFC 6749 §2.3.1 and Appendix B, and no client enumeration."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from ..factories import basic_auth
from ..factories import make_client as add_client
from .helpers import (
    BASIC_CHALLENGE,
    INVALID_CLIENT,
    VerifyRecorder,
    invalid_request,
    post_form,
    stable_headers,
)

ODD_ID = "shop:1+2%3 é/ü"
ODD_SECRET = "s:e+c%r é/t:ü+%2B"
ANON = {"grant_type": "client_credentials", "scope": "public-read"}


def basic(raw: bytes, scheme: str = "Basic") -> dict[str, str]:
    return {"Authorization": f"{scheme} {base64.b64encode(raw).decode()}"}


@pytest.fixture
async def odd_app(services: Any, store: Any) -> Any:
    """A marketplace client whose id and secret hold ':', '+', '%', '/', spaces and non-ASCII."""
    return await add_client(store, client_id=ODD_ID, secret=ODD_SECRET)


async def test_basic_with_form_urlencoded_id_and_secret_is_accepted(client, odd_app):
    """Appendix B: id and secret are form-urlencoded (quote_plus) before base64."""
    status, body, _ = await post_form(
        client, ANON, headers={"Authorization": basic_auth(ODD_ID, ODD_SECRET)}
    )
    assert status == 200
    assert body["scope"] == "public-read"


async def test_basic_with_percent_20_spaces_is_accepted(client, odd_app):
    """Id and secret percent-encoded with %20 for spaces (quote) decode the same."""
    raw = f"{quote(ODD_ID, safe='')}:{quote(ODD_SECRET, safe='')}".encode()
    status, _, _ = await post_form(client, ANON, headers=basic(raw))
    assert status == 200


async def test_basic_secret_with_raw_colons_is_split_at_the_first_colon(client, services, store):
    """An unencoded secret containing ':' is everything after the first colon."""
    app = await add_client(store, secret="a:b:c")
    status, _, _ = await post_form(client, ANON, headers=basic(f"{app.client_id}:a:b:c".encode()))
    assert status == 200


async def test_basic_without_url_decoding_would_fail(client, odd_app):
    """The Basic value is url-decoded: the still-encoded secret is a wrong secret."""
    raw = f"{quote(ODD_ID, safe='')}:{quote(quote(ODD_SECRET, safe=''), safe='')}".encode()
    status, body, resp = await post_form(client, ANON, headers=basic(raw))
    assert status == 401
    assert body == INVALID_CLIENT
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
async def test_basic_scheme_is_case_insensitive(client, odd_app, scheme):
    """The Basic scheme name matches in any case."""
    header = basic_auth(ODD_ID, ODD_SECRET).replace("Basic", scheme, 1)
    status, _, _ = await post_form(client, ANON, headers={"Authorization": header})
    assert status == 200


MALFORMED_BASIC = {"error": "invalid_client", "error_description": "Malformed Basic credentials."}
UNSUPPORTED = {"error": "invalid_client", "error_description": "Unsupported authorization scheme."}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic", UNSUPPORTED),
        ("Basic    ", UNSUPPORTED),
        ("Digest username=x", UNSUPPORTED),
        ("Negotiate abc", UNSUPPORTED),
        ("Basic !!!!", MALFORMED_BASIC),
        ("Basic YWJj=ZGVm", MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b"no-colon-here").decode(), MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b":secret-only").decode(), MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b"%ZZ:secret").decode(), MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b"id:%E0%A4").decode(), MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b"\xff\xfe:secret").decode(), MALFORMED_BASIC),
        ("Basic " + base64.b64encode(b"id%00:secret").decode(), MALFORMED_BASIC),
        ("Basic ÿÿÿÿ", MALFORMED_BASIC),
    ],
)
async def test_malformed_authorization_is_401_invalid_client_with_challenge(
    client, odd_app, header, expected
):
    """A malformed or foreign Authorization header is 401 invalid_client with a Basic challenge."""
    status, body, resp = await post_form(
        client, {**ANON, "client_id": ODD_ID}, headers={"Authorization": header}
    )
    assert status == 401
    assert body == expected
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_bearer_does_not_authenticate_a_client_at_the_token_endpoint(client, odd_app):
    """A Bearer header at the token endpoint is refused, not ignored."""
    status, body, resp = await post_form(
        client, {**ANON, "client_id": ODD_ID}, headers={"Authorization": "Bearer abc.def.ghi"}
    )
    assert status == 401
    assert body == {
        "error": "invalid_client",
        "error_description": "Bearer tokens do not authenticate clients here.",
    }
    assert resp.headers["WWW-Authenticate"] == BASIC_CHALLENGE


async def test_basic_and_body_secret_together_are_invalid_request(client, odd_app):
    """Two authentication methods at once (Basic and client_secret) are refused."""
    status, body, _ = await post_form(
        client,
        {**ANON, "client_secret": ODD_SECRET},
        headers={"Authorization": basic_auth(ODD_ID, ODD_SECRET)},
    )
    assert status == 400
    assert body == invalid_request("Use one client authentication method, not two.")


async def test_basic_and_a_different_body_client_id_are_invalid_request(
    client, services, store, odd_app
):
    """A body client_id that differs from the Basic id is refused."""
    other = await add_client(store)
    status, body, _ = await post_form(
        client,
        {**ANON, "client_id": other.client_id},
        headers={"Authorization": basic_auth(ODD_ID, ODD_SECRET)},
    )
    assert status == 400
    assert body == invalid_request("The client_id does not match the Basic credentials.")


async def test_basic_and_the_same_body_client_id_are_accepted(client, odd_app):
    """A body client_id equal to the Basic id is harmless."""
    status, _, _ = await post_form(
        client,
        {**ANON, "client_id": ODD_ID},
        headers={"Authorization": basic_auth(ODD_ID, ODD_SECRET)},
    )
    assert status == 200


@pytest.mark.parametrize("secret", ["undefined", "wrong", ODD_SECRET + "x"])
async def test_client_with_secret_never_falls_back_to_anonymous_on_a_wrong_secret(
    client, odd_app, secret
):
    """A wrong secret (the SDK's literal 'undefined' too) is 401, not an anonymous token."""
    status, body, _ = await post_form(
        client, {**ANON, "client_id": ODD_ID, "client_secret": secret}
    )
    assert status == 401
    assert body == INVALID_CLIENT


async def test_public_client_presented_with_a_secret_is_refused(client, services, store):
    """A client without a secret presented with one ('undefined') is 401, not anonymous."""
    app = await add_client(store)
    status, body, _ = await post_form(
        client, {**ANON, "client_id": app.client_id, "client_secret": "undefined"}
    )
    assert status == 401
    assert body == INVALID_CLIENT


@pytest.mark.parametrize("via_basic", [True, False], ids=["basic", "body"])
async def test_unknown_client_and_wrong_secret_answer_identically(
    client, services, store, via_basic
):
    """Unknown client and wrong secret: same status, body and headers, same argon2 work."""
    known = await add_client(store, kind="integration", secret="the-right-secret")
    recorder = VerifyRecorder(services.hasher)

    async def attempt(client_id: str) -> tuple[int, Any, dict[str, str], int]:
        before = len(recorder.calls)
        data = {"grant_type": "client_credentials", "scope": "integ"}
        if via_basic:
            kwargs = {"headers": {"Authorization": basic_auth(client_id, "a-wrong-secret")}}
        else:
            data.update(client_id=client_id, client_secret="a-wrong-secret")
            kwargs = {}
        status, body, resp = await post_form(client, data, **kwargs)
        return status, body, stable_headers(resp), len(recorder.calls) - before

    wrong = await attempt(known.client_id)
    unknown = await attempt("00000000-0000-0000-0000-000000000000")

    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1] == INVALID_CLIENT
    assert wrong[2] == unknown[2]
    assert (wrong[2].get("WWW-Authenticate") == BASIC_CHALLENGE) is via_basic
    assert wrong[3] == unknown[3] == 1
    assert recorder.calls == [known.secret_hash, services.hasher.dummy_hash]


async def test_unknown_client_dummy_hash_has_the_current_parameters(services):
    """The dummy hash is made with the configured argon2 parameters (same cost as a real one)."""
    assert not services.hasher.needs_rehash(services.hasher.dummy_hash)
