"""The admin listener in process: its own app beside the public one, guarded by admin tokens."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from service.api.appkeys import ADMIN, SERVICES
from service.app import ADMIN_APP, create_app
from service.models import ClientKind
from service.oauth.tokens import mint_access_token

from ..admin_api import (
    CHALLENGE,
    CHALLENGE_INVALID,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    TOKEN_INVALID,
    TOKEN_REQUIRED,
    auth,
    call,
    no_such,
)
from ..conftest import make_settings
from ..listeners import admin_of, serve_both


@pytest.fixture
async def http(aiohttp_client: Any, fake_redis: Any, signing_key: Any) -> TestClient:
    """The public listener's test client; ``admin_of(http)`` is the admin listener's."""
    app = create_app(make_settings(), redis=fake_redis, signing=signing_key)
    return await serve_both(aiohttp_client, app)


@pytest.fixture
def admin(http: TestClient) -> TestClient:
    return admin_of(http)


@pytest.fixture
async def token(admin: TestClient) -> str:
    """A valid admin token."""
    return (await admin.server.app[ADMIN].admin_tokens.create("tests")).token


# the split ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/v1/apps", "/admin/openapi.yaml", "/metrics"])
async def test_the_public_listener_serves_no_admin_path_and_no_metrics(http, token, path):
    """/admin/ and /metrics answer 404 JSON on the public listener, even with an admin token."""
    status, body, resp = await call(http, "GET", path, token)

    assert (status, body) == (404, NOT_FOUND)
    assert resp.headers["Cache-Control"] == "no-store"


async def test_the_admin_listener_serves_no_oauth_endpoint(admin, token):
    """/v1/auth/token and the public discovery paths answer 404 on the admin listener."""
    for path in ("/v1/auth/token", "/.well-known/jwks.json", "/readyz"):
        status, body, _ = await call(admin, "POST" if "auth" in path else "GET", path, token)

        assert (status, body) == (404, NOT_FOUND), path


async def test_metrics_answer_on_the_admin_listener_without_a_token(admin):
    """/metrics is for in-cluster scraping: Prometheus text, no admin token needed."""
    resp = await admin.get("/metrics")

    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    assert "tokenhouse_requests_total" in await resp.text()


# admin tokens ---------------------------------------------------------------------------------
async def test_no_token_is_401_with_a_bearer_challenge(admin):
    """Without Authorization: 401 invalid_token, WWW-Authenticate names the realm only."""
    status, body, resp = await call(admin, "GET", "/admin/v1/apps", None)

    assert (status, body) == (401, TOKEN_REQUIRED)
    assert resp.headers["WWW-Authenticate"] == CHALLENGE
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer tha_0123456789abcdef_" + "A" * 43,
        "Bearer " + "x" * 600,
    ],
)
async def test_a_malformed_or_unknown_token_is_401_invalid_token(admin, header):
    """A wrong scheme, a malformed or an unknown token: the same 401 with error=invalid_token."""
    status, body, resp = await call(
        admin, "GET", "/admin/v1/apps", None, headers={"Authorization": header}
    )

    assert (status, body) == (401, TOKEN_INVALID)
    assert resp.headers["WWW-Authenticate"] == CHALLENGE_INVALID


async def test_a_revoked_token_fails_from_its_next_request_on(admin, token):
    """After admin_tokens.revoke the same token answers 401 at once (no cache)."""
    assert (await call(admin, "GET", "/admin/v1/apps", token))[0] == 200
    tokens = admin.server.app[ADMIN].admin_tokens
    (record,) = await tokens.list()

    await tokens.revoke(record.token_id)

    assert (await call(admin, "GET", "/admin/v1/apps", token))[:2] == (401, TOKEN_INVALID)


async def test_a_token_with_a_wrong_secret_is_refused(admin, token):
    """The id of a live token with another secret is refused (the digest is compared)."""
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert (await call(admin, "GET", "/admin/v1/apps", forged))[:2] == (401, TOKEN_INVALID)


async def test_an_oauth_access_token_never_opens_the_admin_api(http, admin):
    """A valid access token of this service as Bearer is 401 on the admin listener."""
    services = http.server.app[SERVICES]
    access = mint_access_token(
        services.jwt, sub="x", client_id="c", scope="user", ttl=60, now=services.clock()
    )

    assert (await call(admin, "GET", "/admin/v1/apps", access))[:2] == (401, TOKEN_INVALID)


async def test_an_unknown_admin_path_asks_for_the_token_first(admin, token):
    """Under /admin/ the token is checked before routing: 401 without it, 404 with it."""
    assert (await call(admin, "GET", "/admin/v1/nothing", None))[:2] == (401, TOKEN_REQUIRED)
    assert (await call(admin, "GET", "/admin/v1/nothing", token))[:2] == (404, NOT_FOUND)


async def test_another_method_is_405_with_allow(admin, token):
    """A method the path does not take: 405 method_not_allowed with Allow."""
    status, body, resp = await call(admin, "PUT", "/admin/v1/apps", token, {})

    assert (status, body) == (405, METHOD_NOT_ALLOWED)
    assert "GET" in resp.headers["Allow"]


async def test_each_admin_call_logs_the_token_id_and_the_target_never_the_token(admin, token):
    """One admin.call event per request: the token's id, the operation, the target."""
    apps = admin.server.app[ADMIN].apps
    app = (await apps.create(ClientKind.MARKETPLACE, "web")).client

    with capture_logs() as events:
        await call(admin, "GET", f"/admin/v1/apps/{app.client_id}", token)
        await call(admin, "GET", "/admin/v1/apps", None)

    calls = [e for e in events if e["event"] == "admin.call"]
    token_id = token.split("_")[1]
    assert [(e["admin"], e["operation"], e["target"], e["status"]) for e in calls] == [
        (token_id, "get_app", f"app:{app.client_id}", 200),
        (None, "list_apps", None, 401),
    ]
    assert token not in repr(events) and token.split("_", 2)[2] not in repr(events)


# apps -----------------------------------------------------------------------------------------
async def test_apps_are_listed_with_their_redirect_uris_and_never_a_secret(admin, token):
    """GET /admin/v1/apps: every app with kind, name, has_secret, redirect_uris, created."""
    apps = admin.server.app[ADMIN].apps
    made = await apps.create(ClientKind.MARKETPLACE, "web", with_secret=True, client_id="web")
    await apps.update("web", redirect_uris=["https://shop.example.com/api/login-as"])

    status, body, resp = await call(admin, "GET", "/admin/v1/apps", token)

    assert status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert body == [
        {
            "client_id": "web",
            "kind": "marketplace",
            "name": "web",
            "has_secret": True,
            "redirect_uris": ["https://shop.example.com/api/login-as"],
            "created": body[0]["created"],
        }
    ]
    assert body[0]["created"].endswith("Z") and made.secret not in repr(body)


@pytest.mark.parametrize("client_id", ["nope", "not.a.client.id", "x" * 65])
async def test_an_unknown_or_malformed_app_id_is_404(admin, token, client_id):
    """GET /admin/v1/apps/{client_id} for no app, or an id no app can have: 404 not_found."""
    status, body, _ = await call(admin, "GET", f"/admin/v1/apps/{client_id}", token)

    assert status == 404
    assert body in (no_such("app"), {"error": "not_found", "error_description": "No such app."})


async def test_the_admin_document_is_served_to_token_holders(admin, token):
    """GET /admin/openapi.yaml needs the token and serves the packaged document."""
    from importlib import resources

    resp = await admin.get("/admin/openapi.yaml", headers=auth(token))
    packaged = resources.files("service.api").joinpath("admin_openapi.yaml").read_bytes()

    assert resp.status == 200 and await resp.read() == packaged
    assert (await call(admin, "GET", "/admin/openapi.yaml", None))[0] == 401


def test_create_app_attaches_the_admin_listener(fake_redis, signing_key):
    """create_app builds the admin listener's app beside the public one."""
    app = create_app(make_settings(), redis=fake_redis, signing=signing_key)

    assert ADMIN_APP in app and ADMIN in app[ADMIN_APP]
