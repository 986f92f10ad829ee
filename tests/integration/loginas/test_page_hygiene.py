"""The login-as pages' hygiene on the real process: where they answer, strict forms, escaping,
and what Redis holds."""

from __future__ import annotations

import aiohttp
import pytest
import redis

from service.loginas import urls
from service.store.redis import RedisBackend, connect

from ...conftest import make_settings
from ...factories import make_user
from ...login_as import action_of, csrf_of
from .conftest import REDIRECT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROUTES = [
    ("GET", urls.AUTHORIZE),
    ("POST", urls.SIGN_IN),
    ("POST", urls.CONFIRM),
    ("POST", urls.SIGN_OUT),
    ("GET", urls.STYLESHEET),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_the_public_listener_does_not_serve_the_pages(public, method, path):
    """Nothing under /api/authorize-as answers on the public listener: 404."""
    async with public.request(method, path) as resp:
        assert resp.status == 404


async def test_stylesheet_is_css_never_sniffed(operator):
    """style.css: text/css, nosniff, cacheable for a while."""
    resp = await operator.http.get(urls.STYLESHEET)

    assert resp.status == 200 and resp.content_type == "text/css"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in resp.headers["Cache-Control"]


def sign_in_body(page: str, operator: dict) -> str:
    return f"csrf_token={csrf_of(page)}&email={operator['email']}&password=x"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            "{csrf}&email=a@example.com&email=b@example.com&password=x",
            "application/x-www-form-urlencoded",
        ),
        ("{csrf}&email=%ZZ&password=x", "application/x-www-form-urlencoded"),
        ("{csrf}&email=%FF%FE&password=x", "application/x-www-form-urlencoded"),
        ('{{"email": "a@example.com", "password": "x"}}', "application/json"),
        (
            '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
    ids=["repeated-field", "bad-escape", "invalid-utf8", "json", "multipart"],
)
async def test_malformed_forms_are_a_400_page(operator, body, content_type):
    """A repeated field, a bad escape, invalid UTF-8, JSON or multipart: a 400 HTML page."""
    _, page, _ = await operator.open()
    data = (
        body.replace("{csrf}", f"csrf_token={csrf_of(page)}").replace("{{", "{").replace("}}", "}")
    )

    resp = await operator.http.post(
        action_of(page), data=data.encode(), headers={"Content-Type": content_type}
    )

    assert (resp.status, resp.content_type) == (400, "text/html")
    assert "This request cannot be completed" in await resp.text()


async def test_an_oversized_form_is_a_413_page(operator):
    """A body over the limit (16 KiB): a 413 HTML page, no stack trace."""
    _, page, _ = await operator.open()

    resp = await operator.http.post(
        action_of(page), data={"csrf_token": csrf_of(page), "email": "a" * 20000}
    )

    assert (resp.status, resp.content_type) == (413, "text/html")
    assert "This request is too large" in await resp.text()


async def test_every_value_is_escaped(operator, world):
    """An app name and an e-mail full of markup show as text, never as markup."""
    app = world.service.new_app('<script>alert(1)</script> & "Co"', REDIRECT)
    # No longer an e-mail the CLI or admin API accept (RFC 5321), but a record written before
    # (or by hand) may hold one: stored straight into Redis.
    store = RedisBackend(connect(make_settings(redis={"url": world.redis.url}).redis), "th:")
    try:
        user = await make_user(store, email="o'<b>x</b>@example.com")
    finally:
        await store.close()

    page = await operator.signed_in(client_id=app["client_id"], user_id=user.user_id)

    assert "<script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in page
    assert "o&#x27;&lt;b&gt;x&lt;/b&gt;@<wbr>example.com" in page


async def test_redis_holds_no_session_id_and_no_code(operator, world):
    """The operator's session id and the code are only digests in Redis."""
    code_resp = await operator.press(await operator.signed_in(), "confirm")
    code = code_resp.headers["Location"].split("code=")[1].split("&")[0]
    session_id = operator.session_cookie()
    assert session_id

    with redis.Redis.from_url(world.redis.url) as conn:
        dump = b" ".join(
            [
                k
                + b" "
                + repr(conn.hgetall(k) if conn.type(k) == b"hash" else conn.get(k)).encode()
                for k in conn.keys("*")
                if conn.type(k) in (b"hash", b"string")
            ]
        )

    assert session_id.encode() not in dump and code.encode() not in dump


async def test_an_admin_token_is_not_needed_nor_used_by_the_pages(world):
    """The pages answer without Authorization; an admin token does not sign anyone in."""
    async with aiohttp.ClientSession(world.service.console_url) as http:
        resp = await http.get(urls.AUTHORIZE, headers={"Authorization": "Bearer anything"})

        assert resp.status == 400 and resp.content_type == "text/html"
