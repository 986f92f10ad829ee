"""Every grant and endpoint against the real `tokenhouse serve` process over HTTP."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from .api_client import INVALID_GRANT, jwt_parts, refresh_async

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def new_user(cli, password: str = "e2e password") -> tuple[str, str, str]:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    created = cli("users", "create", "--email", email, "--password-stdin", stdin=password + "\n")
    return created["id"], email, password


def test_cli_apps_create_prints_id_and_secret_only_when_made(cli):
    """`apps create --json` prints client_id, plus client_secret only when one was made."""
    public = cli("apps", "create", "--kind", "marketplace", "--name", "public app")
    confidential = cli("apps", "create", "--kind", "marketplace", "--name", "ssr", "--secret")
    integ = cli("apps", "create", "--kind", "integration", "--name", "backend")

    assert uuid.UUID(public["client_id"]) and "client_secret" not in public
    assert len(confidential["client_secret"]) >= 32 and confidential["client_id"]
    assert len(integ["client_secret"]) >= 32 and integ["client_id"]


def test_cli_users_create_prints_id(cli):
    """`users create --password-stdin --json` prints the new user's id."""
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"

    created = cli("users", "create", "--email", email, "--password-stdin", stdin="pw-12345\n")

    assert uuid.UUID(created["id"])


def test_anonymous_token(api, cli):
    """A marketplace client_id alone gets a public-read bearer token and no refresh token."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "anon")

    status, body = api.anonymous(app["client_id"])

    assert status == 200
    assert body["token_type"] == "bearer" and body["scope"] == "public-read"
    assert "refresh_token" not in body
    assert jwt_parts(body["access_token"])[1]["client_id"] == app["client_id"]


def test_password_login_refresh_and_exchange(api, cli):
    """Login, refresh (rotated, same scope) and token_exchange (trusted:user) all succeed."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "ssr", "--secret")
    user_id, email, password = new_user(cli)

    status, login = api.login(app["client_id"], email, password)
    status_r, refreshed = api.refresh(app["client_id"], login["refresh_token"])
    status_x, exchanged = api.exchange(
        app["client_id"], app["client_secret"], refreshed["access_token"]
    )

    assert status == 200 and login["scope"] == "user"
    assert jwt_parts(login["access_token"])[1]["sub"] == user_id
    assert status_r == 200 and refreshed["scope"] == "user"
    assert refreshed["refresh_token"] != login["refresh_token"]
    assert status_x == 200 and exchanged["scope"] == "trusted:user"
    assert "refresh_token" not in exchanged
    assert jwt_parts(exchanged["access_token"])[1]["sub"] == user_id


async def test_two_parallel_refreshes_converge(api, cli):
    """Two parallel refreshes with one token both succeed with the same new refresh token."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "spa")
    _, email, password = new_user(cli)
    _, login = api.login(app["client_id"], email, password)

    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(
            *(
                refresh_async(session, api.base, app["client_id"], login["refresh_token"])
                for _ in range(2)
            )
        )

    assert [status for status, _ in results] == [200, 200]
    assert results[0][1]["refresh_token"] == results[1][1]["refresh_token"]
    assert results[0][1]["refresh_token"] != login["refresh_token"]
    assert api.refresh(app["client_id"], results[0][1]["refresh_token"])[0] == 200


def test_integration_client_credentials_then_refresh_without_secret(api, cli):
    """An integration client logs in with its secret and refreshes with client_id alone."""
    integ = cli("apps", "create", "--kind", "integration", "--name", "backend")

    status, tokens = api.integration(integ["client_id"], integ["client_secret"])
    status_r, refreshed = api.refresh(integ["client_id"], tokens["refresh_token"])

    assert status == 200 and tokens["scope"] == "integ" and tokens["refresh_token"]
    assert status_r == 200 and refreshed["scope"] == "integ"
    assert refreshed["refresh_token"] != tokens["refresh_token"]


def test_revoke_sdk_form_ends_session(api, cli):
    """The SDK's revoke (token + Bearer) answers 200 {}; the session's tokens stop working, its
    access token as a Bearer too (401, so a second revoke makes the SDK refresh, which fails)."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "spa")
    _, email, password = new_user(cli)
    _, login = api.login(app["client_id"], email, password)
    _, refreshed = api.refresh(app["client_id"], login["refresh_token"])

    revoked = api.revoke_sdk(refreshed["access_token"], login["refresh_token"])
    again = api.revoke_sdk(refreshed["access_token"], login["refresh_token"])

    assert revoked == (200, {})
    assert again == (
        401,
        {
            "error": "invalid_token",
            "error_description": "The access token is invalid, expired or revoked.",
        },
    )
    assert api.refresh(app["client_id"], refreshed["refresh_token"]) == (401, INVALID_GRANT)
    assert api.refresh(app["client_id"], login["refresh_token"]) == (401, INVALID_GRANT)


def test_introspection_active_then_inactive(api, cli):
    """Introspection reports a live token active with its claims, then inactive after revoke."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "ssr", "--secret")
    user_id, email, password = new_user(cli)
    _, login = api.login(app["client_id"], email, password)

    status, live_access = api.introspect(
        app["client_id"], app["client_secret"], login["access_token"]
    )
    _, live_refresh = api.introspect(app["client_id"], app["client_secret"], login["refresh_token"])
    api.revoke_sdk(login["access_token"], login["refresh_token"])
    _, dead_access = api.introspect(app["client_id"], app["client_secret"], login["access_token"])
    _, dead_refresh = api.introspect(app["client_id"], app["client_secret"], login["refresh_token"])

    assert status == 200
    assert live_access["active"] is True and live_access["token_type"] == "bearer"
    assert live_access["token_use"] == "access_token"
    assert live_access["sub"] == user_id and live_access["client_id"] == app["client_id"]
    assert live_refresh["active"] is True and live_refresh["token_type"] == "bearer"
    assert live_refresh["token_use"] == "refresh_token"
    assert dead_access == {"active": False} and dead_refresh == {"active": False}
