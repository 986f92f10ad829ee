"""Log in as a user, in a real browser: the web template's flow from start to isLoggedInAs.

The stand-in marketplace starts it exactly as the web template does; the login-as pages and
the authorization_code grant are the building blocks composed by tests/loginas_rehearsal.py
(the admin listener's stand-in until it is wired); the stand-in redeems the code with the
official SDK's ``loginAs`` and shows ``authInfo()``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from service.loginas.authorize import LoginAsApp
from service.models import ClientKind, User

from ..loginas_rehearsal import OPERATOR, OPERATOR_PASSWORD, start_rehearsal
from .conftest import PHONE, png_size

pytestmark = pytest.mark.browser

USER = User("5f3b0b6e-6c2a-4a4e-9a49-1d6f2a7c0002", "maria.virtanen@example.com", "unused")
CLIENT_ID = "0b7e4d0c-5a51-4d4e-8c1c-3f3c2b1a0001"


@pytest.fixture
async def rehearsal(aiohttp_server, redis_url, signing_key):
    return await start_rehearsal(aiohttp_server, redis_url, signing_key)


async def test_operator_logs_in_as_a_user_through_the_web_templates_flow(
    browse, marketplace, rehearsal, shots: Path
):
    """Sign in, confirm: the marketplace's SDK holds a user:limited token with isLoggedInAs."""
    stand_in = await marketplace(
        client_id=CLIENT_ID, console_url=rehearsal.url, base_url=rehearsal.url
    )
    rehearsal.directory.users[USER.user_id] = USER
    rehearsal.directory.apps[CLIENT_ID] = LoginAsApp(
        CLIENT_ID, "Sauna Market", ClientKind.MARKETPLACE, (f"{stand_in.url}/api/login-as",)
    )
    start = f"{stand_in.url}/api/initiate-login-as?user_id={USER.user_id}"

    with capture_logs() as logs:
        seen = await browse(
            [
                {"do": "goto", "url": start},
                {"do": "screenshot", "name": "1-sign-in.png"},
                {"do": "fill", "selector": "input[name=email]", "value": OPERATOR},
                {"do": "fill", "selector": "input[name=password]", "value": OPERATOR_PASSWORD},
                {"do": "click", "selector": "button[type=submit]"},
                {"do": "screenshot", "name": "2-confirm.png"},
                {"do": "click", "selector": "button[name=confirm]"},
                {"do": "screenshot", "name": "3-logged-in-as.png"},
                {"do": "text", "selector": "#auth-info"},
                # Still signed in: a second login-as goes straight to the confirmation.
                {"do": "goto", "url": start},
                {"do": "click", "selector": "button[name=cancel]"},
                {"do": "text", "selector": "body"},
                {"do": "goto", "url": start},
                {"do": "click", "selector": "button[name=sign_out]"},
                {"do": "screenshot", "name": "4-signed-out.png"},
                {"do": "goto", "url": start},
                {"do": "measure"},
            ],
            viewport=PHONE,
        )

    r = seen["results"]
    assert r[0]["status"] == 200 and r[0]["url"].startswith(f"{rehearsal.url}/api/authorize-as?")
    assert r[4]["status"] == 200 and r[4]["url"].startswith(f"{rehearsal.url}/api/authorize-as?")
    assert r[6] == {"url": f"{stand_in.url}/", "status": 200}
    assert json.loads(r[8]["text"]) == {
        "scopes": ["user:limited"],
        "isAnonymous": False,
        "grantType": "refresh_token",
        "isLoggedInAs": True,
    }
    assert r[11]["text"] == "Failed to authorize as a user."  # cancelled: access_denied
    assert r[16]["headings"] == ["Operator sign-in"]  # signed out: the sign-in form again
    assert [n["outcome"] for n in stand_in.events("login-as")] == [
        "logged_in",
        "authorization_failed",
    ]
    [claims] = rehearsal.directory.issued
    assert (claims["sub"], claims["act"], claims["scope"]) == (
        USER.user_id,
        {"sub": "op-1"},
        "user:limited",
    )
    assert claims["exp"] - claims["iat"] == 1800
    audited = [
        (e["event"], e["outcome"])
        for e in logs
        if e["event"].startswith(("login_as.", "operator."))
    ]
    assert audited == [
        ("operator.sign_in", "signed_in"),
        ("login_as.authorize", "confirmed"),
        ("login_as.token", "issued"),
        ("login_as.authorize", "cancelled"),
        ("operator.sign_out", "signed_out"),
    ]
    for name in ("1-sign-in.png", "2-confirm.png", "3-logged-in-as.png", "4-signed-out.png"):
        assert png_size(shots / name)[0] == PHONE["width"]
    problems = [
        m["url"].split("?")[0] for m in seen["console"] if not m["url"].endswith("/favicon.ico")
    ]
    assert problems == [f"{stand_in.url}/api/login-as"]  # only the cancelled login's 401
