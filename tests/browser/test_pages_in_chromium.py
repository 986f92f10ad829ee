"""The login-as pages in headless chromium, at phone and desktop width, with their real headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from service.loginas import pages, urls
from service.loginas.headers import page_headers, stylesheet_headers
from service.loginas.redirect_uris import origin

from .conftest import DESKTOP, PHONE, png_size

pytestmark = pytest.mark.browser

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
LONG_EMAIL = "a.very.long.support.address.for.testing+login-as@subdomain.marketplace-example.com"


def html(body: str, form_targets: tuple[str, ...] = ()) -> web.Response:
    return web.Response(body=body.encode(), headers=page_headers(form_targets=form_targets))


def confirm(**kw: Any) -> str:
    args = {
        "action": f"{urls.CONFIRM}?client_id=cid-1",
        "csrf_token": "csrf-confirm",
        "user_email": "maria.virtanen@example.com",
        "app_name": "Sauna Market",
        "operator_email": "support@example.com",
        "sign_out_csrf_token": "csrf-sign-out",
    }
    return pages.confirm_page(**{**args, **kw})


def sign_in(**kw: Any) -> str:
    args = {"action": f"{urls.SIGN_IN}?client_id=cid-1", "csrf_token": "csrf-sign-in"}
    return pages.sign_in_page(**{"app_name": "Sauna Market", **args, **kw})


PAGES = {
    "sign-in": lambda: sign_in(),
    "sign-in-error": lambda: sign_in(
        email="support@example.com", error="Wrong e-mail or password."
    ),
    "confirm": lambda: confirm(),
    "confirm-long": lambda: confirm(
        user_email=LONG_EMAIL, app_name="The Long-Named Marketplace of Saunas"
    ),
    "error": lambda: pages.error_page(
        title="This app cannot log in as a user",
        message="The redirect URI is not registered for this app.",
    ),
    "signed-out": lambda: pages.signed_out_page(again_href=f"{urls.AUTHORIZE}?client_id=cid-1"),
}


@pytest.fixture
async def landing(aiohttp_server) -> str:
    """Another origin the confirmation redirects to, as an app's redirect URI would be."""
    app = web.Application()

    async def landed(request: web.Request) -> web.Response:
        return web.Response(text="landed", content_type="text/plain")

    app.router.add_get("/api/login-as", landed)
    server = await aiohttp_server(app)
    return str(server.make_url("/api/login-as"))


@pytest.fixture
async def pages_app(aiohttp_server, landing: str) -> str:
    """The pages, the stylesheet and a confirm action that redirects to the landing origin."""
    app = web.Application()

    def show(name: str, form_targets: tuple[str, ...] = ()) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return html(PAGES[name](), form_targets)

        return handler

    for name in PAGES:
        app.router.add_get(f"/page/{name}", show(name))
    app.router.add_get("/page/confirm-to-app", show("confirm", (origin(landing),)))
    app.router.add_get("/page/confirm-strict", show("confirm"))

    async def hostile(request: web.Request) -> web.Response:
        return html(confirm(user_email=HOSTILE, app_name=HOSTILE, operator_email=HOSTILE))

    async def css(request: web.Request) -> web.Response:
        return web.Response(body=pages.stylesheet(), headers=stylesheet_headers())

    async def confirmed(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{landing}?code=c&state=s")

    app.router.add_get("/page/hostile", hostile)
    app.router.add_get(urls.STYLESHEET, css)
    app.router.add_post(urls.CONFIRM, confirmed)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


def real_problems(console: list[dict[str, str]]) -> list[dict[str, str]]:
    """Console messages other than the favicon nobody serves here."""
    return [m for m in console if not m.get("url", "").endswith("/favicon.ico")]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_pages_render_in_one_readable_column(browse, pages_app, shots: Path, viewport):
    """Every page loads its stylesheet under the strict policy and fits the width, no scripts."""
    steps: list[dict[str, Any]] = []
    for name in PAGES:
        steps += [
            {"do": "goto", "url": f"{pages_app}/page/{name}"},
            {"do": "screenshot", "name": f"{name}-{viewport['width']}.png"},
            {"do": "measure"},
        ]

    seen = await browse(steps, viewport=viewport)

    assert real_problems(seen["console"]) == [] and seen["dialogs"] == []
    for i, name in enumerate(PAGES):
        loaded, _, looks = seen["results"][3 * i : 3 * i + 3]
        assert loaded["status"] == 200, name
        assert looks["scripts"] == 0 and looks["stylesheets"] == 1, name
        assert looks["mainMaxWidth"] == "416px", name  # 26rem: the stylesheet applied
        assert looks["scrollWidth"] <= viewport["width"], name  # nothing sticks out sideways
        assert all(b["height"] >= 44 for b in looks["buttons"] if b["name"] != "sign_out"), name
        assert png_size(shots / f"{name}-{viewport['width']}.png")[0] == viewport["width"]


async def test_hostile_values_render_inert(browse, pages_app, shots: Path):
    """A user e-mail and app name made of markup show as text; nothing runs, nothing loads."""
    seen = await browse(
        [
            {"do": "goto", "url": f"{pages_app}/page/hostile"},
            {"do": "screenshot", "name": "hostile-1280.png"},
            {"do": "measure"},
        ]
    )

    looks = seen["results"][2]
    assert looks["scripts"] == 0 and seen["dialogs"] == []
    assert looks["headings"] == [f"Log in as {HOSTILE} on {HOSTILE}"]
    assert real_problems(seen["console"]) == []


async def test_confirmation_may_redirect_to_the_app_origin(browse, pages_app, landing):
    """With the app's origin in form-action, the confirm post's redirect reaches the app."""
    seen = await browse(
        [
            {"do": "goto", "url": f"{pages_app}/page/confirm-to-app"},
            {"do": "click", "selector": "button[name=confirm]"},
            {"do": "text", "selector": "body"},
        ]
    )

    assert seen["results"][1]["url"] == f"{landing}?code=c&state=s"
    assert seen["results"][2] == {"text": "landed"}


async def test_form_action_without_the_app_origin_blocks_the_redirect(browse, pages_app, landing):
    """Chromium applies form-action to the redirect after a post: the app's origin must be listed."""
    seen = await browse(
        [
            {"do": "goto", "url": f"{pages_app}/page/confirm-strict"},
            {"do": "click", "selector": "button[name=confirm]"},
            {"do": "console", "contains": "form-action"},
        ]
    )

    assert not seen["results"][1]["url"].startswith(landing)
    assert seen["results"][2] == {"seen": True}
