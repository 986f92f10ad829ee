"""sharetribe-flex-sdk loginWithIdp against the real process, with ID tokens of the local identity
provider process, in the web template's order (tests/sdk/scenarios/login_with_idp.mjs)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from ..flows import UNKNOWN_IDP
from ..idp_proc import IdpProcess
from .conftest import SHORT_ACCESS_TTL, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NO_USER = {"error": "invalid_grant", "error_description": "No user has this identity."}
TOKEN_KEYS = ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
SDK_PARAMS = ("client_id", "client_secret", "idp_client_id", "idp_id", "idp_token")


def idp_config(
    gw: Any, stack: Stack, idp: IdpProcess, idp_id: str, token: str, **extra: Any
) -> dict[str, Any]:
    """What the scenario needs: the server-side SDK's app (with its secret) and the IdP call."""
    app = stack.trusted_app
    return {
        "baseUrl": gw.url,
        "clientId": app["client_id"],
        "clientSecret": app["client_secret"],
        "idpId": idp_id,
        "idpClientId": idp.client_id,
        "idpToken": token,
        **extra,
    }


async def test_login_with_an_unconfigured_identity_provider_is_rejected_with_401(
    stack: Stack, gateway, scenario, idp_process: IdpProcess
):
    """loginWithIdp naming an identity provider tokenhouse does not know rejects with 401
    invalid_grant and stores no token; the service logs the failure, never the token."""
    gw = await gateway(stack)
    token = idp_process.mint(sub="sdk-unknown-idp")

    result = await scenario(
        "login_with_idp", idp_config(gw, stack, idp_process, "not-configured", token)
    )

    assert result["unknown"] == {"status": 401, "data": UNKNOWN_IDP}
    assert result["info"] == {}
    assert result["saved"] == []
    [call] = gw.auth_calls
    assert (call.path, call.status, call.params, call.grant_type) == (
        "/v1/auth/auth_with_idp",
        401,
        SDK_PARAMS,
        None,
    )
    [failed] = [
        e
        for e in stack.events("token.failed")
        if e.get("client_id") == stack.trusted_app["client_id"]
        and "grant_type" not in e  # social login, not a grant of the token endpoint
        and "idp_id" not in e  # noted only for a configured provider
    ]
    assert failed["status"] == 401
    assert token not in stack.server.log_text()


async def test_login_with_idp_in_the_web_templates_order(
    short_stack: Stack, gateway, scenario, idp_process: IdpProcess
):
    """Unknown identity: loginWithIdp rejects with 401; the backend creates the user with that
    identity through the admin API; the same loginWithIdp call then answers exactly 200, the SDK
    is logged in as the user, and after the access token expires it refreshes and goes on."""
    stack = short_stack
    gw = await gateway(stack)
    idp_id = stack.add_oidc_idp(idp_process)
    sub = f"google-{secrets.token_hex(4)}"
    email = f"{sub}@example.com"
    token = idp_process.mint(sub=sub, email=email)
    cfg = idp_config(
        gw,
        stack,
        idp_process,
        idp_id,
        token,
        adminUrl=stack.server.admin_url,
        adminToken=stack.admin_token(),
        email=email,
        sub=sub,
    )

    result = await scenario("login_with_idp", cfg)

    assert result["unknown"] == {"status": 401, "data": NO_USER}
    assert result["saved"] == []
    created = result["created"]
    assert created["status"] == 201
    assert created["identities"] == [{"idp_id": idp_id, "sub": sub}]
    assert result["login"]["ok"] is True and result["login"]["status"] == 200
    assert result["login"]["token"]["keys"] == TOKEN_KEYS
    assert result["login"]["token"]["scope"] == "user"
    assert result["login"]["token"]["expires_in"] == SHORT_ACCESS_TTL
    assert result["info"] == {
        "scopes": ["user"],
        "isAnonymous": False,
        "grantType": "refresh_token",
        "isLoggedInAs": False,
    }
    assert result["me"] == {"status": 200, "id": created["id"]}
    assert result["after_expiry"] == {"status": 200, "id": created["id"]}
    assert result["final"]["refresh"] != result["logged_in"]["refresh"]
    assert result["final_info"]["scopes"] == ["user"]
    assert [(c.path, c.grant_type, c.status) for c in gw.auth_calls] == [
        ("/v1/auth/auth_with_idp", None, 401),
        ("/v1/auth/auth_with_idp", None, 200),
        ("/v1/auth/token", "refresh_token", 200),
    ]
    assert {c.params for c in gw.auth_calls if c.path.endswith("auth_with_idp")} == {SDK_PARAMS}
    assert [c.reason for c in gw.api_calls] == ["ok", "expired", "ok"]
    [session] = stack.sessions(user=email)
    assert (session["client_id"], session["scope"]) == (stack.trusted_app["client_id"], "user")
    issued = [e for e in stack.events("token.issued") if e.get("user_id") == created["id"]]
    assert [(e.get("grant_type"), e.get("idp_id")) for e in issued] == [
        (None, idp_id),  # the social login
        ("refresh_token", None),
    ]
    log = stack.server.log_text()
    assert token not in log and result["final_refresh_token"] not in log
