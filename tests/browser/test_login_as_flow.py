"""Log in as a user, in a real browser: the web template's flow from start to isLoggedInAs.

A real ``tokenhouse serve`` with its admin listener, an operator, a marketplace app (with the
stand-in's /api/login-as registered as redirect URI) and a user made with the CLI; the
stand-in marketplace starts the flow exactly as the web template does, the operator signs in
and confirms on the admin listener, the stand-in redeems the code with the official SDK's
``loginAs`` against the public listener and shows ``authInfo()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..login_as import OPERATOR_PASSWORD, LoginAsService, start_login_as_service
from ..redis_proc import RedisProcess
from .conftest import PHONE, png_size

pytestmark = pytest.mark.browser

USER_EMAIL = "maria.virtanen@example.com"
OPERATOR_EMAIL = "support@example.com"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LoginAsService]:
    redis = RedisProcess(tmp_path).start()
    started = start_login_as_service(tmp_path, redis.url)
    try:
        yield started
    finally:
        started.process.stop()
        redis.stop()


async def test_operator_logs_in_as_a_user_through_the_web_templates_flow(
    browse, marketplace, service: LoginAsService, shots: Path
):
    """Sign in, confirm: the marketplace's SDK holds a user:limited token with isLoggedInAs."""
    app = service.new_app("Sauna Market")
    user = service.new_user(USER_EMAIL)
    operator = service.new_operator(OPERATOR_EMAIL)
    stand_in = await marketplace(
        client_id=app["client_id"], console_url=service.console_url, base_url=service.url
    )
    service.cli(
        "apps", "update", app["client_id"], "--redirect-uri", f"{stand_in.url}/api/login-as"
    )
    start = f"{stand_in.url}/api/initiate-login-as?user_id={user['id']}"

    seen = await browse(
        [
            {"do": "goto", "url": start},
            {"do": "screenshot", "name": "1-sign-in.png"},
            {"do": "fill", "selector": "input[name=email]", "value": OPERATOR_EMAIL},
            {"do": "fill", "selector": "input[name=password]", "value": "wrong password"},
            {"do": "click", "selector": "button[type=submit]"},
            {"do": "screenshot", "name": "2-sign-in-refused.png"},
            {"do": "fill", "selector": "input[name=password]", "value": OPERATOR_PASSWORD},
            {"do": "click", "selector": "button[type=submit]"},
            {"do": "screenshot", "name": "3-confirm.png"},
            {"do": "click", "selector": "button[name=confirm]"},
            {"do": "screenshot", "name": "4-logged-in-as.png"},
            {"do": "text", "selector": "#auth-info"},
            # Still signed in: a second login-as goes straight to the confirmation.
            {"do": "goto", "url": start},
            {"do": "click", "selector": "button[name=cancel]"},
            {"do": "text", "selector": "body"},
            {"do": "goto", "url": start},
            {"do": "click", "selector": "button[name=sign_out]"},
            {"do": "screenshot", "name": "5-signed-out.png"},
            {"do": "goto", "url": start},
            {"do": "measure"},
        ],
        viewport=PHONE,
    )

    r = seen["results"]
    console = service.console_url
    assert r[0]["status"] == 200 and r[0]["url"].startswith(f"{console}/api/authorize-as?")
    assert r[4]["status"] == 401  # the wrong password: the form again, with the message
    assert r[7]["status"] == 200 and r[7]["url"].startswith(f"{console}/api/authorize-as?")
    assert r[9] == {"url": f"{stand_in.url}/", "status": 200}
    assert json.loads(r[11]["text"]) == {
        "scopes": ["user:limited"],
        "isAnonymous": False,
        "grantType": "refresh_token",
        "isLoggedInAs": True,
    }
    assert r[14]["text"] == "Failed to authorize as a user."  # cancelled: access_denied
    assert r[19]["headings"] == ["Operator sign-in"]  # signed out: the sign-in form again
    assert [n["outcome"] for n in stand_in.events("login-as")] == [
        "logged_in",
        "authorization_failed",
    ]
    sessions = service.cli("sessions", "list", "--user", USER_EMAIL)
    assert [(s["client_id"], s["scope"]) for s in sessions] == [(app["client_id"], "user:limited")]
    audited = [
        (e["event"], e["operator"], e["outcome"]) for e in service.events("login_as.", "operator.")
    ]
    assert audited == [
        ("operator.sign_in", operator["id"], "bad_credentials"),
        ("operator.sign_in", operator["id"], "signed_in"),
        ("login_as.authorize", operator["id"], "confirmed"),
        ("login_as.token", operator["id"], "issued"),
        ("login_as.authorize", operator["id"], "cancelled"),
        ("operator.sign_out", operator["id"], "signed_out"),
    ]
    for name in (
        "1-sign-in.png",
        "2-sign-in-refused.png",
        "3-confirm.png",
        "4-logged-in-as.png",
        "5-signed-out.png",
    ):
        assert png_size(shots / name)[0] == PHONE["width"]
    problems = [
        m["url"].split("?")[0] for m in seen["console"] if not m["url"].endswith("/favicon.ico")
    ]
    assert problems == [
        f"{console}/api/authorize-as/sign-in",  # the wrong password's 401
        f"{stand_in.url}/api/login-as",  # the cancelled login's 401
    ]
