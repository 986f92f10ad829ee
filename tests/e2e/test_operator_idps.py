"""`tokenhouse idps add | list | delete` and `users create --email-verified` on the real process:
the CLI and the admin API are two faces of the same records."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from ..admin_api import AdminHttp

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def admin(server, cli) -> AdminHttp:
    return AdminHttp(server.admin_url, cli("admin-tokens", "create", "--name", "idps")["token"])


def refused(env: dict[str, str], *args: str) -> str:
    """A CLI command that must fail: its stderr (exit status 1 asserted)."""
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1, proc
    return proc.stderr.strip()


def test_idps_add_oidc_and_facebook_as_the_contract_spells_them(cli, admin):
    """idps add --kind oidc (repeatable --client-id) and --kind facebook; list shows no secret."""
    suffix = uuid.uuid4().hex[:6]
    oidc = cli(
        "idps", "add", "--id", f"google-{suffix}", "--kind", "oidc",
        "--issuer", "https://accounts.google.com", "--client-id", "web", "--client-id", "ios",
    )  # fmt: skip
    facebook = cli(
        "idps", "add", "--id", f"fb-{suffix}", "--kind", "facebook", "--client-id", "1234",
        "--client-secret", "fb-app-secret", "--graph-url", "http://127.0.0.1:9/graph",
    )  # fmt: skip

    listed = {row["id"]: row for row in cli("idps", "list")}
    status, shown = admin.request("GET", f"/admin/v1/idps/fb-{suffix}")

    assert oidc == {
        "id": f"google-{suffix}",
        "kind": "oidc",
        "issuer": "https://accounts.google.com",
        "client_ids": ["web", "ios"],
        "created": oidc["created"],
    }
    assert facebook["client_id"] == "1234" and "client_secret" not in facebook
    assert listed[f"google-{suffix}"] == oidc and listed[f"fb-{suffix}"] == facebook
    assert (status, shown) == (200, facebook)
    assert "fb-app-secret" not in repr(listed)


def test_idps_delete_unlinks_users_the_api_linked(cli, admin):
    """A user linked through the API loses the link when the CLI deletes the provider."""
    idp = f"corp-{uuid.uuid4().hex[:6]}"
    cli("idps", "add", "--id", idp, "--kind", "oidc", "--issuer", "https://sso.example.com",
        "--client-id", "app")  # fmt: skip
    email = f"linked-{uuid.uuid4().hex[:6]}@example.com"
    status, user = admin.request(
        "POST", "/admin/v1/users", {"email": email, "identities": [{"idp_id": idp, "sub": "42"}]}
    )

    deleted = cli("idps", "delete", idp)
    _, after = admin.request("GET", f"/admin/v1/users/{user['id']}")

    assert status == 201 and deleted == {"id": idp, "deleted": True, "identities_unlinked": 1}
    assert after["identities"] == []
    assert admin.request("GET", f"/admin/v1/idps/{idp}")[0] == 404


def test_idps_add_refuses_what_the_api_refuses(e2e_env, cli):
    """A non-numeric Facebook app id, a taken id: exit 1 with the rule, as the API says it."""
    idp = f"dup-{uuid.uuid4().hex[:6]}"
    cli("idps", "add", "--id", idp, "--kind", "oidc", "--issuer", "https://a.example.com",
        "--client-id", "x")  # fmt: skip

    bad_app = refused(e2e_env, "idps", "add", "--id", "fbx", "--kind", "facebook",
                      "--client-id", "my-app", "--client-secret", "s")  # fmt: skip
    taken = refused(e2e_env, "idps", "add", "--id", idp, "--kind", "oidc",
                    "--issuer", "https://a.example.com", "--client-id", "x")  # fmt: skip

    assert bad_app == "tokenhouse: a Facebook app id is digits only"
    assert taken == f"tokenhouse: an identity provider {idp} exists"


def test_users_create_email_verified_is_what_the_api_shows(cli, admin):
    """users create --email-verified: the API shows email_verified true; without it, false."""
    verified = f"v-{uuid.uuid4().hex[:8]}@example.com"
    plain = f"p-{uuid.uuid4().hex[:8]}@example.com"
    made = cli("users", "create", "--email", verified, "--password-stdin", "--email-verified",
               stdin="long enough\n")  # fmt: skip
    cli("users", "create", "--email", plain, "--password-stdin", stdin="long enough\n")

    _, first = admin.request("GET", f"/admin/v1/users/{made['id']}")
    _, second = admin.request("GET", f"/admin/v1/users?email={plain}")

    assert (first["email"], first["email_verified"]) == (verified, True)
    assert second["email_verified"] is False
