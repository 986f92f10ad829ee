"""The stand-in marketplace API itself: auth requests pass through unchanged, and API calls are
let in only with a token that verifies against tokenhouse's JWKS."""

from __future__ import annotations

import aiohttp
import pytest

from ..flows import TOKEN, anonymous_form, bearer
from .conftest import Stack
from .gateway import MARKETPLACE_ID

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MARKETPLACE = "/v1/api/marketplace/show"


async def answer(http: aiohttp.ClientSession, url: str, **kw) -> tuple[int, list, bytes]:
    """Status, headers (without Date) and body of one POST."""
    async with http.post(url, **kw) as resp:
        headers = sorted((k, v) for k, v in resp.headers.items() if k != "Date")
        return resp.status, headers, await resp.read()


async def test_auth_requests_pass_through_unchanged(stack: Stack, gateway):
    """A forwarded auth request gets tokenhouse's own status, headers and body."""
    gw = await gateway(stack)
    form = {"grant_type": "password", "client_id": stack.public_app, "scope": "user"}
    headers = {"X-Request-ID": "sdk-gateway-check"}

    async with aiohttp.ClientSession() as http:
        direct = await answer(http, stack.server.url + TOKEN, data=form, headers=headers)
        forwarded = await answer(http, gw.url + TOKEN, data=form, headers=headers)

    assert forwarded == direct
    assert direct[0] == 400
    [call] = gw.auth_calls
    assert (call.grant_type, call.status, call.params) == (
        "password",
        400,
        ("client_id", "grant_type", "scope"),
    )


async def test_api_calls_need_a_token_that_verifies(stack: Stack, gateway):
    """No token, a garbled one or a forged signature answer 401; a real token passes, and scope is enforced with 403."""
    gw = await gateway(stack)
    async with aiohttp.ClientSession(gw.url) as http:
        async with http.post(TOKEN, data=anonymous_form(stack.public_app)) as resp:
            token = (await resp.json())["access_token"]
        head, claims, signature = token.split(".")
        forged = f"{head}.{claims}.{signature[::-1]}"
        outcomes = []
        for headers in ({}, bearer("not-a-jwt"), bearer(forged), bearer(token)):
            async with http.get(MARKETPLACE, headers=headers) as resp:
                outcomes.append(resp.status)
                body = await resp.read()
        async with http.get("/v1/api/current_user/show", headers=bearer(token)) as resp:
            outcomes.append(resp.status)

    assert outcomes == [401, 401, 401, 200, 403]
    assert [c.reason for c in gw.api_calls] == ["missing", "invalid", "invalid", "ok", "scope"]
    assert f"~u{MARKETPLACE_ID}".encode() in body
