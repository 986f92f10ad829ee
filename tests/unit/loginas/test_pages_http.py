"""The login-as pages in process (fakeredis): https detection for the cookie, outages as pages,
and the CSRF key every process derives from the server secret."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

import fakeredis
import pytest
from aiohttp.test_utils import TestClient

from service.app import BACKEND, create_app, login_as_csrf_key
from service.crypto.server_key import Purpose, load_server_key
from service.loginas import pkce
from service.models import Client, ClientKind, User
from service.settings import SecretsSettings

from ...conftest import make_settings
from ...factories import hash_secret
from ...listeners import admin_of, serve_both

REDIRECT = "https://market.example/api/login-as"


async def pages_client(
    aiohttp_client: Any, redis: Any, signing_key: Any, **sections: Any
) -> TestClient:
    app = create_app(make_settings(**sections), redis=redis, signing=signing_key)
    return admin_of(await serve_both(aiohttp_client, app))


async def arrange(admin: TestClient) -> str:
    """An app with the redirect URI, a user; the authorize query for them."""
    backend = admin.server.app[BACKEND]
    client = Client("cid-1", ClientKind.MARKETPLACE, "Sauna Market", redirect_uris=(REDIRECT,))
    await backend.clients.save(client)
    user = User("user-1", "maria@example.com", hash_secret("x" * 8))
    await backend.users.create(user)
    return urlencode(
        {
            "response_type": "code",
            "client_id": "cid-1",
            "redirect_uri": REDIRECT,
            "user_id": "user-1",
            "state": "st",
            "code_challenge": pkce.s256("v" * 43),
            "code_challenge_method": "S256",
        }
    )


@pytest.mark.parametrize(
    ("hops", "headers", "secure"),
    [
        (0, {}, False),
        (0, {"X-Forwarded-Proto": "https"}, False),  # no trusted proxy: the header is ignored
        (1, {"X-Forwarded-Proto": "https"}, True),
        (1, {"X-Forwarded-Proto": "http"}, False),
        (1, {"X-Forwarded-Proto": "http, https"}, True),  # the nearest proxy's word counts
        (1, {}, False),
    ],
    ids=["direct", "untrusted-header", "proxy-https", "proxy-http", "two-values", "no-header"],
)
async def test_cookie_is_secure_and_host_prefixed_over_https(
    aiohttp_client, fake_redis, signing_key, hops, headers, secure
):
    """Over https (directly or per a trusted proxy) the cookie is __Host-..., Secure; else plain."""
    admin = await pages_client(aiohttp_client, fake_redis, signing_key, server={"proxy_hops": hops})
    query = await arrange(admin)

    resp = await admin.get(f"/api/authorize-as?{query}", headers=headers)

    name = "__Host-tokenhouse-operator" if secure else "tokenhouse-operator"
    assert resp.status == 200 and set(resp.cookies) == {name}
    cookie = resp.cookies[name]
    assert bool(cookie["secure"]) is secure
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Lax", "/")


async def test_an_unreachable_store_is_a_503_page(aiohttp_client, signing_key):
    """Redis down: the page says try again, 503 with Retry-After, HTML (never JSON, never 500)."""
    server = fakeredis.FakeServer()
    admin = await pages_client(
        aiohttp_client, fakeredis.aioredis.FakeRedis(server=server), signing_key
    )
    query = await arrange(admin)
    server.connected = False

    resp = await admin.get(f"/api/authorize-as?{query}")

    assert (resp.status, resp.content_type) == (503, "text/html")
    assert resp.headers["Retry-After"] == "1"
    assert "Try again in a moment" in await resp.text()


def test_the_csrf_key_is_derived_from_the_server_secret(tmp_path):
    """Every process with the same server secret derives the same key (so any pod accepts a
    form another rendered); inline or from a file alike; never the secret itself."""
    raw = secrets.token_bytes(32)
    text = base64.b64encode(raw).decode()
    key_file = tmp_path / "server.key"
    key_file.write_text(text + "\n")

    inline = login_as_csrf_key(load_server_key(SecretsSettings(server_key=text)))
    from_file = login_as_csrf_key(load_server_key(SecretsSettings(server_key_file=str(key_file))))
    other_secret = base64.b64encode(b"o" * 32).decode()
    other = login_as_csrf_key(load_server_key(SecretsSettings(server_key=other_secret)))
    sealing = load_server_key(SecretsSettings(server_key=text)).derive(Purpose.IDP_SECRETS)

    assert inline == from_file and len(inline) == 32
    assert inline not in (raw, other, sealing)


def test_without_a_server_secret_each_process_has_its_own_key():
    """No server secret: a random key per process (a form works only where it was rendered)."""
    assert login_as_csrf_key(None) != login_as_csrf_key(None)


async def test_the_pages_go_with_the_grant(aiohttp_client, fake_redis, signing_key):
    """grants.enabled without authorization_code: no /api/authorize-as on the admin listener."""
    enabled = "client_credentials password token_exchange refresh_token"
    admin = await pages_client(aiohttp_client, fake_redis, signing_key, grants={"enabled": enabled})
    query = await arrange(admin)

    resp = await admin.get(f"/api/authorize-as?{query}")

    assert resp.status == 404
