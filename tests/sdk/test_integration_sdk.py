"""sharetribe-flex-integration-sdk against the real process: lazy authentication on the first call,
parallel refreshes after expiry, and revoke."""

from __future__ import annotations

import pytest

from ..flows import INVALID_GRANT
from .conftest import SHORT_ACCESS_TTL, Stack
from .gateway import MARKETPLACE_ID

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARALLEL = 4
MARKETPLACE = {"status": 200, "id": str(MARKETPLACE_ID)}


def config(gw, app: dict[str, str], **extra):
    """What a scenario script needs: the SDK's baseUrl (the stand-in) and the app's credentials."""
    return {
        "baseUrl": gw.url,
        "clientId": app["client_id"],
        "clientSecret": app["client_secret"],
        **extra,
    }


async def test_first_call_authenticates_lazily(stack: Stack, gateway, scenario):
    """The SDK holds no token until its first call, which fetches an integ token with the secret; the next call reuses it."""
    gw = await gateway(stack)
    app = stack.new_integration_app()

    result = await scenario("integration_lazy_auth", config(gw, app))

    assert result["before"] == {}
    assert result["first"] == MARKETPLACE and result["second"] == MARKETPLACE
    assert result["after"] == {"grantType": "refresh_token"}
    assert result["stored"]["scope"] == "integ"
    assert result["stored"]["keys"] == [
        "access_token",
        "expires_in",
        "refresh_token",
        "scope",
        "token_type",
    ]
    assert len(result["saved"]) == 1
    [grant] = gw.auth_calls
    assert (grant.grant_type, grant.status, grant.scope) == ("client_credentials", 200, "integ")
    assert grant.params == ("client_id", "client_secret", "grant_type", "scope")
    assert [(c.status, c.scope, c.client_id) for c in gw.api_calls] == [
        (200, "integ", app["client_id"])
    ] * 2
    [session] = stack.sessions(client=app["client_id"])
    assert session["scope"] == "integ"


async def test_parallel_refreshes_after_expiry_all_succeed(short_stack: Stack, gateway, scenario):
    """After expiry parallel calls refresh without the secret, all succeed, and one session with one current token remains."""
    gw = await gateway(short_stack)
    app = short_stack.new_integration_app()

    result = await scenario("integration_refresh", config(gw, app, parallel=PARALLEL))

    assert result["first"] == MARKETPLACE
    assert result["authenticated"]["expires_in"] == SHORT_ACCESS_TTL
    assert result["calls"] == [MARKETPLACE] * PARALLEL
    expired = [c for c in gw.api_calls if c.status == 401]
    assert len(expired) == PARALLEL and {c.reason for c in expired} == {"expired"}
    refreshes = gw.grants("refresh_token")
    assert len(refreshes) == PARALLEL
    assert {(c.status, c.scope) for c in refreshes} == {(200, "integ")}
    assert all(c.params == ("client_id", "grant_type", "refresh_token") for c in refreshes)
    assert {c.refresh_token for c in refreshes} == {result["final"]["refresh"]}
    assert result["final"]["refresh"] != result["authenticated"]["refresh"]
    assert len(gw.grants("client_credentials")) == 1  # no fall-back to a new login
    [session] = short_stack.sessions(client=app["client_id"])
    status, body = short_stack.api.refresh(app["client_id"], result["final_refresh_token"])
    assert status == 200 and body["scope"] == "integ"
    assert short_stack.events("token.refresh_reuse_detected") == []
    after = short_stack.sessions(client=app["client_id"])
    assert [s["session_id"] for s in after] == [session["session_id"]]


async def test_revoke_ends_the_session_at_the_service(stack: Stack, gateway, scenario):
    """revoke ends the session (its refresh token is dead at the service) and the next call authenticates again."""
    gw = await gateway(stack)
    app = stack.new_integration_app()

    result = await scenario("integration_revoke", config(gw, app))

    assert result["first"] == MARKETPLACE
    assert result["revoke"] == {"status": 200, "data": {}}
    assert result["info"] == {} and result["stored"] is None
    assert result["again"] == MARKETPLACE
    assert result["renewed"]["refresh"] != result["revoked"]["refresh"]
    [revoke] = [c for c in gw.auth_calls if c.path == "/v1/auth/revoke"]
    assert (revoke.status, revoke.params, revoke.bearer) == (200, ("token",), True)
    status, body = stack.api.refresh(app["client_id"], result["revoked_refresh_token"])
    assert (status, body) == (401, INVALID_GRANT)
    [session] = stack.sessions(client=app["client_id"])  # only the one the second call opened
    assert [c.grant_type for c in gw.auth_calls if c.grant_type] == ["client_credentials"] * 2
    [ended] = [
        e
        for e in stack.events("session.revoked")
        if e["session"].startswith(f"c-{app['client_id']}.")
    ]
    assert ended["session"] != session["session_id"]
