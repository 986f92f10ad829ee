"""Strict request parsing at the HTTP edge: form body, body limit, methods, headers, query."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ..factories import basic_auth
from ..factories import make_client as add_client
from .helpers import (
    FORM,
    INTROSPECT,
    INVALID_CLIENT,
    REVOKE,
    TOKEN,
    invalid_request,
    post_form,
    post_raw,
)

NOT_FORM = invalid_request("The body must be application/x-www-form-urlencoded.")
BAD_PERCENT_VALUE = invalid_request("Malformed percent-encoding in parameter values.")
BAD_PERCENT_NAME = invalid_request("Malformed percent-encoding in parameter names.")
BAD_UTF8_VALUE = invalid_request("Invalid UTF-8 in parameter values.")
BAD_UTF8_NAME = invalid_request("Invalid UTF-8 in parameter names.")
CONTROL_VALUE = invalid_request("Control characters are not allowed in parameter values.")
REPEATED = invalid_request("A parameter is repeated.")
TOO_LARGE = {"error": "request_too_large", "error_description": "The request is too large."}
NOT_ALLOWED = {"error": "method_not_allowed", "error_description": "Method not allowed."}


@pytest.fixture
async def app_id(services: Any, store: Any) -> str:
    """A public marketplace client: its anonymous client_credentials request is valid."""
    return (await add_client(store)).client_id


def valid(client_id: str) -> bytes:
    return f"grant_type=client_credentials&client_id={client_id}&scope=public-read".encode()


async def test_control_request_is_accepted(client, app_id):
    """The otherwise-valid base request used below gets a token (so each 400 is the defence)."""
    status, body, _ = await post_raw(client, valid(app_id))
    assert status == 200
    assert body["scope"] == "public-read"


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (b"&x=%ZZ", BAD_PERCENT_VALUE),
        (b"&x=%", BAD_PERCENT_VALUE),
        (b"&x=%4", BAD_PERCENT_VALUE),
        (b"&%G1=1", BAD_PERCENT_NAME),
        (b"&x=%E0%A4", BAD_UTF8_VALUE),
        (b"&x=\xff\xfe", BAD_UTF8_VALUE),
        (b"&x=%C0%AF", BAD_UTF8_VALUE),
        (b"&x=%ED%A0%80", BAD_UTF8_VALUE),
        (b"&\xff=1", BAD_UTF8_NAME),
        (b"&x=a%00b", CONTROL_VALUE),
        (b"&x=a\x00b", CONTROL_VALUE),
        (b"&x=%1B%5B31m", CONTROL_VALUE),
        (b"&scope=public-read", REPEATED),
        (b"&grant_type=password", REPEATED),
        (b"&client_id=", REPEATED),
    ],
)
async def test_malformed_form_body_is_invalid_request(client, app_id, suffix, expected):
    """Bad escapes, invalid UTF-8, control characters and repeated parameters are refused."""
    status, body, resp = await post_raw(client, valid(app_id) + suffix)
    assert status == 400
    assert body == expected
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Pragma"] == "no-cache"


async def test_too_many_parameters_are_refused(client, app_id):
    """A body with more than 64 parameters is refused before any of them is used."""
    padding = b"".join(b"&p%d=1" % i for i in range(70))
    status, body, _ = await post_raw(client, valid(app_id) + padding)
    assert status == 400
    assert body == invalid_request("Too many parameters.")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data; boundary=xyz",
        "application/x-www-form-urlencoded-evil",
    ],
)
async def test_other_content_types_are_refused(client, app_id, content_type):
    """Only application/x-www-form-urlencoded bodies are read; anything else is invalid_request."""
    status, body, _ = await post_raw(client, valid(app_id), content_type=content_type)
    assert status == 400
    assert body == NOT_FORM


async def test_multipart_body_with_valid_fields_is_refused(client, app_id):
    """A real multipart form (which aiohttp's post() would accept) is refused."""
    boundary = "b0und4ry"
    fields = {"grant_type": "client_credentials", "client_id": app_id, "scope": "public-read"}
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    body += f"--{boundary}--\r\n"
    status, answer, _ = await post_raw(
        client, body.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert status == 400
    assert answer == NOT_FORM


async def test_json_body_with_valid_fields_is_refused(client, app_id):
    """A JSON body carrying valid parameters is refused, not read as an empty form."""
    payload = b'{"grant_type": "client_credentials", "client_id": "%s"}' % app_id.encode()
    status, body, _ = await post_raw(client, payload, content_type="application/json")
    assert status == 400
    assert body == NOT_FORM


@pytest.mark.parametrize("charset", ["latin-1", "iso-8859-1", "utf-16", "us-ascii"])
async def test_non_utf8_charsets_are_refused(client, app_id, charset):
    """A form declared in another charset than UTF-8 is refused."""
    status, body, _ = await post_raw(
        client, valid(app_id), content_type=f"{FORM}; charset={charset}"
    )
    assert status == 400
    assert body == invalid_request("Only the UTF-8 charset is supported.")


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
async def test_utf8_charset_is_accepted(client, app_id, charset):
    """A form declared as UTF-8 is read."""
    status, _, _ = await post_raw(client, valid(app_id), content_type=f"{FORM}; charset={charset}")
    assert status == 200


@pytest.mark.parametrize("path", [TOKEN, REVOKE, INTROSPECT])
async def test_body_over_the_limit_is_a_json_413(client, app_id, path):
    """A body over server.body_limit (16 KiB) is answered 413 as JSON, not read."""
    body = valid(app_id) + b"&pad=" + b"a" * 20_000
    status, answer, resp = await post_raw(client, body, path=path)
    assert status == 413
    assert answer == TOO_LARGE
    assert resp.headers["Cache-Control"] == "no-store"


async def test_chunked_body_over_the_limit_is_a_json_413(client, app_id):
    """A chunked body (no Content-Length) is cut off at the limit too."""

    async def chunks():
        yield valid(app_id) + b"&pad="
        for _ in range(40):
            yield b"a" * 1024

    resp = await client.post(TOKEN, data=chunks(), headers={"Content-Type": FORM})
    assert resp.status == 413
    assert await resp.json() == TOO_LARGE


@pytest.mark.parametrize("path", [TOKEN, REVOKE, INTROSPECT])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_wrong_method_is_405_with_allow(client, path, method):
    """Auth endpoints answer other methods with a JSON 405 and Allow: POST."""
    resp = await client.request(method, path)
    assert resp.status == 405
    assert await resp.json() == NOT_ALLOWED
    assert resp.headers["Allow"] == "POST"
    assert resp.headers["Cache-Control"] == "no-store"


OVERSIZED_CASES = [
    (grant, field)
    for grant, fields in {
        "client_credentials": ("client_id", "client_secret", "scope"),
        "password": ("client_id", "client_secret", "scope", "username", "password"),
        "refresh_token": ("client_id", "client_secret", "scope", "refresh_token"),
    }.items()
    for field in fields
]


@pytest.mark.parametrize(("grant_type", "field"), OVERSIZED_CASES)
async def test_oversized_fields_are_4xx_json(client, app_id, grant_type, field):
    """A 12 KB value in any field a grant reads gets a JSON 4xx, never a 500."""
    data = {
        "grant_type": grant_type,
        "client_id": app_id,
        "username": "someone@example.com",
        "password": "pw",
        "refresh_token": "x",
    }
    data[field] = "A" * 12_000
    status, body, _ = await post_form(client, data)
    assert 400 <= status < 500
    assert set(body) == {"error", "error_description"}
    assert body["error_description"].isascii()
    assert "AAAAAAAA" not in body["error_description"]


async def test_large_authorization_header_within_aiohttp_limit_is_json_401(client, app_id):
    """An 8 KB Basic header that aiohttp lets through gets our JSON 401 invalid_client."""
    headers = {"Authorization": basic_auth(app_id + "x" * 6000, "s" * 10)}
    status, body, resp = await post_raw(
        client, valid(app_id).split(b"&client_id")[0], headers=headers
    )
    assert status == 401
    assert body == INVALID_CLIENT
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="tokenhouse"'


async def raw_http(client: Any, request: bytes) -> bytes:
    """Send raw bytes to the test server and return its first answer (head and body)."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            return head + await reader.readexactly(length)
    finally:
        writer.close()


def request_bytes(path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_declared_oversized_body_is_refused_before_it_is_sent(client, app_id):
    """A Content-Length over the limit gets the JSON 413 at once, without waiting for the body."""
    head = request_bytes(TOKEN, {"Content-Type": FORM}).replace(
        b"Content-Length: 0", b"Content-Length: 100000"
    )
    answer = await raw_http(client, head + valid(app_id))
    assert status_of(answer) == 413
    assert answer.split(b"\r\n\r\n", 1)[1] == (
        b'{"error":"request_too_large","error_description":"The request is too large."}'
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Padding": "a" * 9000},
        {"Authorization": "Basic " + "QUFB" * 2500},
        {"Cookie": "c=" + "z" * 20000},
    ],
    ids=["long-header", "long-authorization", "huge-cookie"],
)
async def test_oversized_header_lines_are_4xx(client, app_id, headers):
    """Header lines over aiohttp's limit are refused by the server with a 4xx, never a 500."""
    answer = await raw_http(
        client, request_bytes(TOKEN, {"Content-Type": FORM, **headers}, valid(app_id))
    )
    assert 400 <= status_of(answer) < 500


async def test_oversized_request_line_is_4xx(client):
    """A request target of 10 KB is refused with a 4xx, never a 500."""
    answer = await raw_http(client, request_bytes(TOKEN + "?q=" + "a" * 10_000, {}))
    assert 400 <= status_of(answer) < 500


async def test_many_header_lines_are_4xx_or_answered_as_json(client, app_id):
    """Hundreds of small headers never produce a 500."""
    headers = {f"X-H{i}": "v" * 50 for i in range(300)}
    answer = await raw_http(
        client, request_bytes(TOKEN, {"Content-Type": FORM, **headers}, valid(app_id))
    )
    assert status_of(answer) < 500


async def test_client_id_in_query_string_is_ignored(client, app_id):
    """A client_id in the query string is never used."""
    status, body, _ = await post_raw(
        client,
        b"grant_type=client_credentials&scope=public-read",
        path=f"{TOKEN}?client_id={app_id}",
    )
    assert status == 400
    assert body == invalid_request("The client_id parameter is required.")


async def test_client_secret_in_query_string_is_ignored(client, services, store):
    """A right client_secret in the query string does not authenticate an integration client."""
    integ = await add_client(store, kind="integration", secret="integ-secret")
    status, body, resp = await post_raw(
        client,
        f"grant_type=client_credentials&client_id={integ.client_id}&scope=integ".encode(),
        path=f"{TOKEN}?client_secret=integ-secret",
    )
    assert status == 401
    assert body == INVALID_CLIENT
    assert "WWW-Authenticate" not in resp.headers


async def test_password_in_query_string_is_ignored(client, app_id):
    """A password in the query string is never used."""
    status, body, _ = await post_raw(
        client,
        f"grant_type=password&client_id={app_id}&username=a%40example.com&scope=user".encode(),
        path=f"{TOKEN}?password=pw",
    )
    assert status == 400
    assert body == invalid_request("The password parameter is required.")


async def test_refresh_token_in_query_string_is_ignored(client, app_id):
    """A refresh_token in the query string is never used."""
    status, body, _ = await post_raw(
        client,
        f"grant_type=refresh_token&client_id={app_id}".encode(),
        path=f"{TOKEN}?refresh_token=u-1.AAAAAAAAAAAAAAAAAAAAAA.{'A' * 43}",
    )
    assert status == 400
    assert body == invalid_request("The refresh_token parameter is required.")


async def test_whole_request_in_query_string_is_ignored(client, app_id):
    """Parameters given only in the query string count as absent."""
    status, body, _ = await post_raw(
        client, b"", path=f"{TOKEN}?grant_type=client_credentials&client_id={app_id}"
    )
    assert status == 400
    assert body == invalid_request("The grant_type parameter is required.")
