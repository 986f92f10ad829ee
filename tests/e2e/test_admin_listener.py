"""The admin listener of the real process: the split from the public one, admin tokens made
with the CLI, and apps' redirect URIs set with the CLI."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from ..admin_api import NOT_FOUND, TOKEN_INVALID, AdminHttp
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def admin_token(cli) -> str:
    return cli("admin-tokens", "create", "--name", "e2e")["token"]


def test_the_public_listener_never_serves_admin_paths_or_metrics(server, admin_token):
    """On the public port /admin/v1/apps and /metrics are 404 JSON, with an admin token too."""
    public = AdminHttp(server.url, admin_token)

    assert public.request("GET", "/admin/v1/apps") == (404, NOT_FOUND)
    assert public.request("GET", "/admin/openapi.yaml") == (404, NOT_FOUND)
    assert public.request("GET", "/metrics") == (404, NOT_FOUND)


def test_the_admin_listener_serves_no_oauth_endpoint_but_metrics(server: ServiceProcess):
    """On the admin port /v1/auth/token is 404 and /metrics answers Prometheus text."""
    admin = AdminHttp(server.admin_url)

    assert admin.request("POST", "/v1/auth/token", {}) == (404, NOT_FOUND)
    assert admin.request("GET", "/readyz") == (404, NOT_FOUND)
    with urllib.request.urlopen(server.admin_url + "/metrics", timeout=5) as resp:  # noqa: S310
        assert resp.status == 200 and b"tokenhouse_requests_total" in resp.read()


def test_admin_tokens_create_list_revoke(server, cli):
    """create prints id and token once; list never shows a token; revoke ends it at once."""
    made = cli("admin-tokens", "create", "--name", "backend-1")
    admin = AdminHttp(server.admin_url, made["token"])
    assert set(made) == {"id", "token"}
    assert admin.request("GET", "/admin/v1/apps")[0] == 200

    listed = cli("admin-tokens", "list")
    mine = [row for row in listed if row["id"] == made["id"]]
    cli("admin-tokens", "revoke", made["id"])

    assert mine == [{"id": made["id"], "name": "backend-1", "created": mine[0]["created"]}]
    assert made["token"] not in repr(listed)
    assert admin.request("GET", "/admin/v1/apps") == (401, TOKEN_INVALID)
    assert made["id"] not in {row["id"] for row in cli("admin-tokens", "list")}


def test_apps_update_sets_redirect_uris_the_admin_api_shows(server, cli, admin_token):
    """apps update --redirect-uri (repeatable) replaces the list; GET /admin/v1/apps/{id} has it."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "shop")
    uris = ["https://shop.example.com/api/login-as", "http://localhost:3000/api/login-as"]

    updated = cli(
        "apps", "update", app["client_id"], "--redirect-uri", uris[0], "--redirect-uri", uris[1]
    )
    status, shown = AdminHttp(server.admin_url, admin_token).request(
        "GET", f"/admin/v1/apps/{app['client_id']}"
    )

    assert updated["redirect_uris"] == uris
    assert status == 200 and shown["redirect_uris"] == uris and shown["name"] == "shop"


def test_apps_update_refuses_a_redirect_uri_with_a_fragment(e2e_env, cli):
    """A bad redirect URI: exit status 1, the rule on stderr, nothing changed."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "shop")
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service", "apps", "update", app["client_id"]]
        + ["--redirect-uri", "https://shop.example.com/cb#x", "--json"],
        capture_output=True,
        text=True,
        env=e2e_env,
        timeout=60,
    )

    assert proc.returncode == 1
    assert proc.stderr.strip() == "tokenhouse: a redirect URI has no fragment"
    assert [a for a in cli("apps", "list") if a["client_id"] == app["client_id"]][0][
        "redirect_uris"
    ] == []
