"""sharetribe-flex-sdk loginWithIdp against the real process, with ID tokens of the local identity
provider process, in the web template's order (tests/sdk/scenarios/login_with_idp.mjs)."""

from __future__ import annotations

from typing import Any

import pytest

from ..flows import UNKNOWN_IDP
from ..idp_proc import IdpProcess
from .conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

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
