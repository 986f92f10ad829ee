"""sharetribe-flex-sdk against the real process: anonymous token, login, parallel refreshes after
expiry, exchangeToken and logout, each checked in the SDK, at the stand-in API and at the service."""

from __future__ import annotations

from typing import Any

import pytest

from ..flows import BAD_LOGIN, INVALID_CLIENT, INVALID_GRANT
from .conftest import SHORT_ACCESS_TTL, Stack
from .gateway import MARKETPLACE_ID, MARKETPLACE_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARALLEL = 6
TOKEN_KEYS = ["access_token", "expires_in", "refresh_token", "scope", "token_type"]


def config(gw: Any, client_id: str, user: dict[str, str] | None = None, **extra: Any) -> Any:
    """What a scenario script needs: the SDK's baseUrl (the stand-in), the app and the user."""
    cfg = {"baseUrl": gw.url, "clientId": client_id, **extra}
    if user is not None:
        cfg |= {"email": user["email"], "password": user["password"]}
    return cfg


async def test_anonymous_calls_share_one_public_read_token(stack: Stack, gateway, scenario):
    """With no login, parallel API calls fetch one anonymous public-read token, without a refresh token."""
    gw = await gateway(stack)

    result = await scenario("anonymous", config(gw, stack.public_app, parallel=3))

    assert result["before"] == {}
    assert (
        result["calls"]
        == [{"status": 200, "id": str(MARKETPLACE_ID), "name": MARKETPLACE_NAME}] * 3
    )
    assert result["after"] == {
        "scopes": ["public-read"],
        "isAnonymous": True,
        "grantType": "client_credentials",
        "isLoggedInAs": False,
    }
    assert result["current_user"] == {"status": 403, "id": None}
    assert result["stored"]["keys"] == ["access_token", "expires_in", "scope", "token_type"]
    assert result["stored"]["token_type"] == "bearer"
    [grant] = gw.auth_calls
    assert (grant.grant_type, grant.status, grant.scope, grant.refresh_token) == (
        "client_credentials",
        200,
        "public-read",
        None,
    )
    assert grant.params == ("client_id", "grant_type", "scope")
    assert {(c.status, c.scope, c.client_id) for c in gw.api_calls} == {
        (200, "public-read", stack.public_app),
        (403, "public-read", stack.public_app),
    }


async def test_login_acts_as_the_user(stack: Stack, gateway, scenario):
    """login with a password replaces the anonymous token with a user token; API calls see the user."""
    gw = await gateway(stack)
    user = stack.new_user()

    result = await scenario("login", config(gw, stack.public_app, user))

    assert result["browsing"]["status"] == 200
    assert result["login"]["status"] == 200
    assert result["login"]["token"]["keys"] == TOKEN_KEYS
    assert result["login"]["token"]["scope"] == "user"
    assert result["login"]["token"]["expires_in"] == 600
    assert result["info"] == {
        "scopes": ["user"],
        "isAnonymous": False,
        "grantType": "refresh_token",
        "isLoggedInAs": False,
    }
    assert result["me"] == {"status": 200, "id": user["id"]}
    assert result["stored"]["bytes"] < 4096 and result["stored"]["access_bytes"] < 1024
    assert [c.grant_type for c in gw.auth_calls] == ["client_credentials", "password"]
    assert gw.api_calls[-1].scope == "user" and gw.api_calls[-1].sub == user["id"]
    [session] = stack.sessions(user=user["email"])
    assert (session["client_id"], session["scope"]) == (stack.public_app, "user")
    [issued] = [e for e in stack.events("token.issued") if e.get("user_id") == user["id"]]
    assert issued["grant_type"] == "password"


async def test_wrong_password_rejects_login_with_401(stack: Stack, gateway, scenario):
    """A wrong password makes login reject with 401 invalid_grant and stores no token."""
    gw = await gateway(stack)
    user = stack.new_user()

    result = await scenario("wrong_password", config(gw, stack.public_app, user))

    assert result["login"] == {"status": 401, "data": BAD_LOGIN}
    assert result["info"] == {}
    assert result["saved"] == []
    assert [(c.grant_type, c.status) for c in gw.auth_calls] == [("password", 401)]
    assert stack.sessions(user=user["email"]) == []


async def test_parallel_refreshes_after_expiry_all_succeed(short_stack: Stack, gateway, scenario):
    """Parallel calls with an expired token each refresh with one refresh token; all succeed and converge on one session."""
    gw = await gateway(short_stack)
    user = short_stack.new_user()

    result = await scenario(
        "parallel_refresh", config(gw, short_stack.public_app, user, parallel=PARALLEL)
    )

    assert result["login"] == 200
    assert result["first"] == {"status": 200, "id": user["id"]}
    assert result["logged_in"]["expires_in"] == SHORT_ACCESS_TTL
    assert result["calls"] == [{"status": 200, "id": user["id"]}] * PARALLEL
    expired = [c for c in gw.api_calls if c.status == 401]
    assert len(expired) == PARALLEL and {c.reason for c in expired} == {"expired"}
    refreshes = gw.grants("refresh_token")
    assert len(refreshes) == PARALLEL  # the SDK does not de-duplicate its refreshes
    assert {(c.status, c.scope) for c in refreshes} == {(200, "user")}
    assert all(c.params == ("client_id", "grant_type", "refresh_token") for c in refreshes)
    # every refresh answered with the same, rotated refresh token: one live token remains
    current = {c.refresh_token for c in refreshes}
    assert current == {result["final"]["refresh"]}
    assert result["final"]["refresh"] != result["logged_in"]["refresh"]
    assert {t["refresh"] for t in result["refreshed"]} == current
    assert [c.grant_type for c in gw.auth_calls if c.grant_type != "refresh_token"] == [
        "password"
    ]  # no fall-back to an anonymous token
    assert result["info"]["scopes"] == ["user"]
    [session] = short_stack.sessions(user=user["email"])
    status, body = short_stack.api.refresh(short_stack.public_app, result["final_refresh_token"])
    assert status == 200 and body["scope"] == "user"
    assert short_stack.events("token.refresh_reuse_detected") == []
    assert result["final_refresh_token"] not in short_stack.server.log_text()
    after = short_stack.sessions(user=user["email"])
    assert [s["session_id"] for s in after] == [session["session_id"]]


async def test_exchange_token_gives_a_trusted_user_token(stack: Stack, gateway, scenario):
    """exchangeToken with the client secret returns a trusted:user token for the same user, without a refresh token."""
    gw = await gateway(stack)
    user = stack.new_user()
    app = stack.trusted_app
    cfg = config(gw, app["client_id"], user, clientSecret=app["client_secret"])

    result = await scenario("exchange_token", cfg, "trusted")

    exchange = result["exchange"]
    assert exchange["status"] == 200
    assert exchange["token"]["scope"] == "trusted:user"
    assert "refresh_token" not in exchange["token"]["keys"]
    assert exchange["token"]["access"] != result["user_access"]
    assert exchange["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert result["user_token_kept"] is True
    assert result["me"] == {"status": 200, "id": user["id"]}
    assert result["user_me"] == {"status": 200, "id": user["id"]}
    [call] = gw.grants("token_exchange")
    assert call.params == ("client_id", "client_secret", "grant_type", "subject_token")
    assert call.status == 200
    assert [c.scope for c in gw.api_calls] == ["trusted:user", "user"]
    assert {c.sub for c in gw.api_calls} == {user["id"]}


async def test_exchange_token_needs_the_right_client_secret(stack: Stack, gateway, scenario):
    """exchangeToken without a secret fails in the SDK; with a wrong one the service answers 401 invalid_client."""
    gw = await gateway(stack)
    user = stack.new_user()
    app = stack.trusted_app
    cfg = config(gw, app["client_id"], user, clientSecret=app["client_secret"])

    result = await scenario("exchange_token", cfg, "secrets")

    assert result["without_secret"] == {
        "status": None,
        "message": "SDK instance is missing the clientSecret config.",
    }
    assert result["wrong_secret"] == {"status": 401, "data": INVALID_CLIENT}
    # only the wrong secret reached the service; the SDK takes its 401 for an expired subject
    # token, so it refreshes once and retries
    assert [(c.grant_type, c.status) for c in gw.auth_calls if c.grant_type != "password"] == [
        ("token_exchange", 401),
        ("refresh_token", 200),
        ("token_exchange", 401),
    ]


async def test_logout_ends_the_session_at_the_service(stack: Stack, gateway, scenario):
    """logout revokes the refresh token (dead at the service afterwards) and the SDK falls back to anonymous."""
    gw = await gateway(stack)
    user = stack.new_user()

    result = await scenario("logout", config(gw, stack.public_app, user))

    assert result["me"] == {"status": 200, "id": user["id"]}
    assert result["logout"] == {"status": 200, "data": {}}
    assert result["info"] == {}
    assert result["browsing"] == {"status": 200, "id": str(MARKETPLACE_ID)}
    assert result["after"]["scope"] == "public-read"
    [revoke] = [c for c in gw.auth_calls if c.path == "/v1/auth/revoke"]
    assert (revoke.status, revoke.params, revoke.bearer) == (200, ("token",), True)
    assert stack.sessions(user=user["email"]) == []
    status, body = stack.api.refresh(stack.public_app, result["revoked_refresh_token"])
    assert (status, body) == (401, INVALID_GRANT)
    assert result["revoked_refresh_token"] not in stack.server.log_text()
    [ended] = [
        e for e in stack.events("session.revoked") if e["session"].startswith(f"u-{user['id']}.")
    ]
    assert ended["client_id"] == stack.public_app
