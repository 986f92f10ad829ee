"""The admin API's apps and sessions in process on fakeredis, and its routes against the document."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from service.api.appkeys import ADMIN
from service.app import ADMIN_APP, create_app

from ..admin_api import call, invalid, no_such
from ..conftest import make_settings
from ..flows import INVALID_CLIENT, INVALID_GRANT, anonymous, login, refresh
from ..listeners import admin_of, serve_both

DOCUMENT = Path(__file__).resolve().parents[2] / "service" / "api" / "admin_openapi.yaml"


@pytest.fixture
async def http(aiohttp_client: Any, fake_redis: Any, signing_key: Any) -> TestClient:
    app = create_app(
        make_settings(cache={"client_ttl": 0.0}), redis=fake_redis, signing=signing_key
    )
    return await serve_both(aiohttp_client, app)


@pytest.fixture
def admin(http: TestClient) -> TestClient:
    return admin_of(http)


@pytest.fixture
async def token(admin: TestClient) -> str:
    return (await admin.server.app[ADMIN].admin_tokens.create("tests")).token


async def new_app(admin: TestClient, token: str, **body: Any) -> dict[str, Any]:
    status, made, _ = await call(
        admin, "POST", "/admin/v1/apps", token, {"kind": "marketplace", "name": "web", **body}
    )
    assert status == 201, made
    return made


async def new_user(admin: TestClient, token: str, email: str) -> dict[str, Any]:
    body = {"email": email, "password": "correct horse"}
    status, user, _ = await call(admin, "POST", "/admin/v1/users", token, body)
    assert status == 201, user
    return user


def test_every_route_is_documented_under_its_handlers_name(fake_redis, signing_key):
    """The admin app's routes under /admin/ (and /metrics) are exactly the document's paths and
    methods, each handler named after the operation's operationId (the log-in-as pages, with
    their own sign-in, are outside the document)."""
    app = create_app(make_settings(), redis=fake_redis, signing=signing_key)
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    documented = {
        (path, method.upper()): op["operationId"]
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    }
    routes = {
        (r.resource.canonical, r.method): r.handler.__name__
        for r in app[ADMIN_APP].router.routes()
        if r.method != "HEAD"
        and (r.resource.canonical.startswith("/admin/") or r.resource.canonical == "/metrics")
    }

    assert routes == {**documented, ("/metrics", "GET"): "handler"}


# apps -----------------------------------------------------------------------------------------
async def test_an_app_is_created_with_its_secret_shown_once(http, admin, token):
    """POST /admin/v1/apps: 201, Location, the secret in this answer only; it works at once."""
    status, made, resp = await call(
        admin,
        "POST",
        "/admin/v1/apps",
        token,
        {"kind": "integration", "name": "sync", "client_id": "sync-1"},
    )
    shown = await call(admin, "GET", "/admin/v1/apps/sync-1", token)
    form = {
        "grant_type": "client_credentials",
        "client_id": "sync-1",
        "client_secret": made["client_secret"],
        "scope": "integ",
    }

    assert status == 201 and resp.headers["Location"] == "/admin/v1/apps/sync-1"
    assert made["has_secret"] is True and len(made["client_secret"]) == 43
    assert shown[1] == {k: v for k, v in made.items() if k != "client_secret"}
    assert (await http.post("/v1/auth/token", data=form)).status == 200


async def test_a_public_marketplace_app_has_no_secret(http, admin, token):
    """A marketplace app without secret: true has none; anonymous tokens work for it."""
    made = await new_app(admin, token, redirect_uris=["https://shop.example.com/cb"])

    assert "client_secret" not in made and made["has_secret"] is False
    assert made["redirect_uris"] == ["https://shop.example.com/cb"]
    assert (await anonymous(http, made["client_id"]))[0] == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"kind": "integration", "name": "x", "secret": False},
            invalid("An integration app always has a secret."),
        ),
        (
            {"kind": "gateway", "name": "x"},
            invalid("The field kind must be marketplace or integration."),
        ),
        ({"kind": "marketplace"}, invalid("The field name is required.")),
        (
            {"kind": "marketplace", "name": "x", "client_id": "a.b"},
            invalid("A client id is 1 to 64 letters, digits or hyphens."),
        ),
        (
            {"kind": "integration", "name": "x", "redirect_uris": ["https://a.example/"]},
            invalid("Only marketplace apps have redirect URIs."),
        ),
        (
            {"kind": "marketplace", "name": "x", "redirect_uris": "https://a/"},
            invalid("The field redirect_uris must be a list of strings."),
        ),
    ],
)
async def test_a_malformed_app_is_400(admin, token, body, expected):
    """An integration app without secret, a wrong kind, no name, a bad id or redirect URI."""
    assert (await call(admin, "POST", "/admin/v1/apps", token, body))[:2] == (400, expected)
    assert (await call(admin, "GET", "/admin/v1/apps", token))[1] == []


async def test_a_taken_or_deleted_client_id_is_409(admin, token):
    """An id in use, or one a deleted app had: 409 already_exists."""
    await new_app(admin, token, client_id="shop")
    await new_app(admin, token, client_id="old")
    await call(admin, "DELETE", "/admin/v1/apps/old", token)

    taken = await call(
        admin,
        "POST",
        "/admin/v1/apps",
        token,
        {"kind": "marketplace", "name": "x", "client_id": "shop"},
    )
    deleted = await call(
        admin,
        "POST",
        "/admin/v1/apps",
        token,
        {"kind": "marketplace", "name": "x", "client_id": "old"},
    )

    assert taken[:2] == (
        409,
        {"error": "already_exists", "error_description": "The client id is taken."},
    )
    assert deleted[:2] == (
        409,
        {
            "error": "already_exists",
            "error_description": "The client id belonged to a deleted app.",
        },
    )


async def test_an_app_is_renamed_and_given_redirect_uris(admin, token):
    """PATCH name and redirect_uris (the whole list); an empty PATCH is 400."""
    made = await new_app(admin, token)
    path = f"/admin/v1/apps/{made['client_id']}"

    status, updated, _ = await call(
        admin, "PATCH", path, token, {"name": "shop", "redirect_uris": ["https://s.example/cb"]}
    )
    empty = await call(admin, "PATCH", path, token, {})
    unknown = await call(admin, "PATCH", "/admin/v1/apps/nope", token, {"name": "x"})

    assert status == 200
    assert (updated["name"], updated["redirect_uris"]) == ("shop", ["https://s.example/cb"])
    assert empty[:2] == (400, invalid("Give at least one of name, redirect_uris."))
    assert unknown[:2] == (404, no_such("app"))


async def test_rotating_a_secret_shows_the_new_one_once(http, admin, token):
    """POST /secret: 200 with the new secret; the old one stops working."""
    made = await new_app(admin, token, kind="integration", client_id="rot")

    status, rotated, _ = await call(admin, "POST", "/admin/v1/apps/rot/secret", token)
    form = {"grant_type": "client_credentials", "client_id": "rot", "scope": "integ"}
    old = await http.post("/v1/auth/token", data={**form, "client_secret": made["client_secret"]})
    new = await http.post(
        "/v1/auth/token", data={**form, "client_secret": rotated["client_secret"]}
    )

    assert status == 200 and set(rotated) == {"client_id", "client_secret"}
    assert (old.status, await old.json()) == (401, INVALID_CLIENT)
    assert new.status == 200
    assert (await call(admin, "POST", "/admin/v1/apps/nope/secret", token))[:2] == (
        404,
        no_such("app"),
    )


async def test_deleting_an_app_is_204_then_404(http, admin, token):
    """DELETE an app: 204; its client id is refused from then on; again: 404."""
    made = await new_app(admin, token)
    path = f"/admin/v1/apps/{made['client_id']}"

    assert (await call(admin, "DELETE", path, token))[:2] == (204, None)
    assert (await anonymous_status(http, made["client_id"])) == 401
    assert (await call(admin, "DELETE", path, token))[:2] == (404, no_such("app"))


async def anonymous_status(http: TestClient, client_id: str) -> int:
    resp = await http.post(
        "/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id}
    )
    return resp.status


# sessions -------------------------------------------------------------------------------------
async def test_a_users_sessions_are_listed_oldest_first(http, admin, token):
    """GET sessions: id, client_id, scope, created, expires_at (idle expiry before absolute)."""
    app = await new_app(admin, token)
    user = await new_user(admin, token, "s@example.com")
    first = (await login(http, app["client_id"], "s@example.com", "correct horse"))[1]
    second = (await login(http, app["client_id"], "s@example.com", "correct horse"))[1]

    status, listed, _ = await call(admin, "GET", f"/admin/v1/users/{user['id']}/sessions", token)

    sids = [t["refresh_token"].rsplit(".", 1)[0] for t in (first, second)]
    assert status == 200 and sorted(s["id"] for s in listed) == sorted(sids)
    for session in listed:
        assert (session["client_id"], session["scope"]) == (app["client_id"], "user")
        created = time.mktime(time.strptime(session["created"], "%Y-%m-%dT%H:%M:%SZ"))
        expires = time.mktime(time.strptime(session["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert abs(expires - created - make_settings().tokens.refresh_idle_ttl) <= 2


async def test_ending_all_sessions_makes_every_refresh_fail(http, admin, token):
    """DELETE /users/{id}/sessions: 204; each refresh token answers 401; a user without
    sessions is 204 too; an unknown user 404."""
    app = await new_app(admin, token)
    user = await new_user(admin, token, "t@example.com")
    tokens = [
        (await login(http, app["client_id"], "t@example.com", "correct horse"))[1] for _ in range(2)
    ]
    path = f"/admin/v1/users/{user['id']}/sessions"

    assert (await call(admin, "DELETE", path, token))[:2] == (204, None)
    for pair in tokens:
        assert await refresh(http, app["client_id"], pair["refresh_token"]) == (401, INVALID_GRANT)
    assert (await call(admin, "GET", path, token))[1] == []
    assert (await call(admin, "DELETE", path, token))[0] == 204
    unknown = "/admin/v1/users/0b6c3d62-5a0e-4f4e-9d51-8f1f7f3b2a10/sessions"
    assert (await call(admin, "DELETE", unknown, token))[:2] == (404, no_such("user"))


async def test_one_session_ends_by_its_id(http, admin, token):
    """DELETE /sessions/{id}: that session's refresh fails, the other works; again: 404."""
    app = await new_app(admin, token)
    await new_user(admin, token, "u@example.com")
    ended, kept = [
        (await login(http, app["client_id"], "u@example.com", "correct horse"))[1] for _ in range(2)
    ]
    sid = ended["refresh_token"].rsplit(".", 1)[0]

    assert (await call(admin, "DELETE", f"/admin/v1/sessions/{sid}", token))[:2] == (204, None)
    assert await refresh(http, app["client_id"], ended["refresh_token"]) == (401, INVALID_GRANT)
    assert (await refresh(http, app["client_id"], kept["refresh_token"]))[0] == 200
    assert (await call(admin, "DELETE", f"/admin/v1/sessions/{sid}", token))[:2] == (
        404,
        no_such("session"),
    )
    assert (await call(admin, "DELETE", "/admin/v1/sessions/not-a-session", token))[:2] == (
        404,
        no_such("session"),
    )
