"""The browser infrastructure itself: chromium opens a stand-in marketplace page and screenshots it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import PHONE, png_size

pytestmark = pytest.mark.browser


async def test_chromium_screenshots_the_stand_in_marketplace(browse, marketplace, shots: Path):
    """A stand-in page on a free port loads in headless chromium and is saved as a PNG."""
    stand_in = await marketplace(
        client_id="smoke-client",
        console_url="http://127.0.0.1:9",
        base_url="http://127.0.0.1:9",
    )

    seen = await browse(
        [
            {"do": "goto", "url": f"{stand_in.url}/"},
            {"do": "screenshot", "name": "stand-in-home.png"},
            {"do": "text", "selector": "#auth-info"},
        ],
        viewport=PHONE,
    )

    shot = shots / "stand-in-home.png"
    assert seen["results"][0] == {"url": f"{stand_in.url}/", "status": 200}
    assert shot.stat().st_size > 0 and png_size(shot)[0] == PHONE["width"]
    assert seen["results"][2] == {"text": "{}"}  # no token yet: authInfo() is empty
    assert seen["console"] == [] and seen["dialogs"] == []


async def test_stand_in_needs_a_user_id(browse, marketplace):
    """/api/initiate-login-as without user_id answers 400, as the web template does."""
    stand_in = await marketplace(
        client_id="smoke-client",
        console_url="http://127.0.0.1:9",
        base_url="http://127.0.0.1:9",
    )

    seen = await browse(
        [
            {"do": "goto", "url": f"{stand_in.url}/api/initiate-login-as"},
            {"do": "text", "selector": "body"},
        ]
    )

    assert seen["results"] == [
        {"url": f"{stand_in.url}/api/initiate-login-as", "status": 400},
        {"text": "Missing query parameter: user_id."},
    ]
