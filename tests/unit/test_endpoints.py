"""Discovery and operations endpoints: JWKS, RFC 8414 metadata, health, readiness, request ids."""

from __future__ import annotations

import re

import fakeredis
import pytest

from service.app import create_app

from ..conftest import make_settings
from ..factories import make_client as new_app
from ..factories import store_of
from ..flows import UNAVAILABLE
from .support import EXCHANGE_URN, TOKEN, token


async def test_jwks_lists_the_signing_key(client, signing_key):
    """GET /.well-known/jwks.json publishes the public signing key with its kid."""
    resp = await client.get("/.well-known/jwks.json")

    assert resp.status == 200 and resp.content_type == "application/json"
    body = await resp.json()
    assert [k["kid"] for k in body["keys"]] == [signing_key[1]]
    assert all("d" not in k and k["use"] == "sig" and k["alg"] == "ES256" for k in body["keys"])


async def test_jwks_verifies_issued_tokens(client, services, store):
    """A token the service issues names a kid that the JWKS lists."""
    app = await new_app(store)
    _, body, _ = await token(
        client, {"grant_type": "client_credentials", "client_id": app.client_id}
    )
    jwks = await (await client.get("/.well-known/jwks.json")).json()

    kid = services.jwt.active_kid

    assert kid in {k["kid"] for k in jwks["keys"]}
    assert services.jwt.verify(body["access_token"], services.clock())["client_id"] == app.client_id


@pytest.mark.parametrize(
    ("issuer", "base"),
    [
        ("https://auth.example.com", "https://auth.example.com"),
        ("https://auth.example.com/tenant/", "https://auth.example.com/tenant"),
    ],
)
async def test_metadata_derives_endpoints_from_issuer(make_client, issuer, base):
    """RFC 8414 metadata: issuer as configured, endpoints under it, exactly the supported grants."""
    client = await make_client(tokens={"issuer": issuer})

    resp = await client.get("/.well-known/oauth-authorization-server")

    assert resp.status == 200
    body = await resp.json()
    assert body["issuer"] == issuer
    assert body["token_endpoint"] == f"{base}/v1/auth/token"
    assert body["revocation_endpoint"] == f"{base}/v1/auth/revoke"
    assert body["introspection_endpoint"] == f"{base}/v1/auth/introspect"
    assert body["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert sorted(body["grant_types_supported"]) == sorted(
        [
            "authorization_code",
            "client_credentials",
            "password",
            "refresh_token",
            "token_exchange",
            EXCHANGE_URN,
        ]
    )
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "user:limited" in body["scopes_supported"]
    assert "client_secret_basic" in body["token_endpoint_auth_methods_supported"]


async def test_readyz_ok_when_redis_answers(client):
    """GET /readyz is 200 while Redis answers PING."""
    resp = await client.get("/readyz")

    assert resp.status == 200
    assert await resp.json() == {"status": "ready"}


@pytest.fixture
async def down_client(aiohttp_client, signing_key):
    """An app whose fakeredis server is disconnected (Redis unusable)."""
    server = fakeredis.FakeServer()
    server.connected = False
    app = create_app(
        make_settings(), redis=fakeredis.aioredis.FakeRedis(server=server), signing=signing_key
    )
    return await aiohttp_client(app)


async def test_healthz_does_not_need_redis(down_client):
    """Liveness answers 200 while Redis is unusable."""
    resp = await down_client.get("/healthz")

    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_readyz_is_503_json_while_redis_is_down(down_client):
    """Readiness answers 503 temporarily_unavailable + Retry-After while Redis is unusable."""
    resp = await down_client.get("/readyz")

    assert resp.status == 503
    assert await resp.json() == UNAVAILABLE
    assert resp.headers["Retry-After"] == "1"


async def test_token_request_is_503_while_redis_is_down(down_client):
    """A grant that needs Redis answers 503 temporarily_unavailable + Retry-After, never 500."""
    status, body, resp = await token(
        down_client,
        {"grant_type": "password", "client_id": "app", "username": "a@b.c", "password": "x"},
    )

    assert (status, body) == (503, UNAVAILABLE)
    assert resp.headers["Retry-After"] == "1"


async def test_anonymous_tokens_survive_a_redis_outage(aiohttp_client, signing_key):
    """A known marketplace client keeps getting anonymous tokens from the client cache."""
    server = fakeredis.FakeServer()
    redis = fakeredis.aioredis.FakeRedis(server=server)
    client = await aiohttp_client(create_app(make_settings(), redis=redis, signing=signing_key))
    app = await new_app(store_of(client))
    form = {"grant_type": "client_credentials", "client_id": app.client_id}
    assert (await token(client, form))[0] == 200

    server.connected = False
    status, body, _ = await token(client, form)

    assert status == 200 and body["scope"] == "public-read"


async def test_request_id_is_echoed(client):
    """A well-formed X-Request-ID is sent back unchanged."""
    resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123.XYZ:9_z"})

    assert resp.headers["X-Request-ID"] == "abc-123.XYZ:9_z"


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 129, "semi;colon", "ünï"])
async def test_request_id_is_generated_when_absent_or_malformed(client, incoming):
    """Without a usable X-Request-ID the service generates one."""
    headers = {"X-Request-ID": incoming} if incoming is not None else {}

    resp = await client.post(TOKEN, data={"grant_type": "x"}, headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"])


async def test_generated_request_ids_differ(client):
    """Each request gets its own id."""
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
