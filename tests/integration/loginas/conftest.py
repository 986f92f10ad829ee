"""The login-as steps over HTTP, on the building blocks composed by tests/loginas_rehearsal.py.

Each test gets a fresh rehearsal app (real redis-server, real codec and hasher) with one
marketplace app, one user and one operator, and an aiohttp client whose cookie jar plays the
operator's browser. Once the admin listener is wired these tests move to the real process.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from service.loginas import pkce
from service.loginas.authorize import LoginAsApp
from service.models import ClientKind, User

from ...loginas_rehearsal import OPERATOR, OPERATOR_PASSWORD, Rehearsal, start_rehearsal

CLIENT_ID = "cid-market"
OTHER_CLIENT_ID = "cid-other"
REDIRECT = "https://market.example/api/login-as"
USER = User("user-1", "maria@example.com", "unused")
OTHER_USER = User("user-2", "jussi@example.com", "unused")
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
STATE = "st-Yp0v3fXK1oXjD9Yq0hV6zj9zEwqfJj7r3p1JtX0V"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')
ACTION_RE = re.compile(r'<form method="post" action="([^"]*)"')


def authorize_query(**overrides: str | None) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "user_id": USER.user_id,
        "state": STATE,
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return urlencode({k: v for k, v in params.items() if v is not None})


def csrf_of(page: str, index: int = 0) -> str:
    return html.unescape(CSRF_RE.findall(page)[index])


def action_of(page: str, index: int = 0) -> str:
    return html.unescape(ACTION_RE.findall(page)[index])


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


@dataclass
class Operator:
    """The operator's browser: an aiohttp client with a cookie jar."""

    client: TestClient
    rehearsal: Rehearsal

    async def open(self, **overrides: str | None) -> tuple[int, str, Any]:
        resp = await self.client.get(
            f"/api/authorize-as?{authorize_query(**overrides)}", allow_redirects=False
        )
        return resp.status, await resp.text(), resp

    async def sign_in(
        self, page: str, *, email: str = OPERATOR, password: str = OPERATOR_PASSWORD, **extra: str
    ) -> Any:
        form = {"csrf_token": csrf_of(page), "email": email, "password": password, **extra}
        return await self.client.post(action_of(page), data=form, allow_redirects=False)

    async def signed_in(self, **overrides: str | None) -> str:
        """Sign in from the authorize page; the confirmation page's HTML."""
        _, page, _ = await self.open(**overrides)
        if 'name="confirm"' in page:  # signed in already
            return page
        resp = await self.sign_in(page)
        assert resp.status == 303, await resp.text()
        confirm = await self.client.get(resp.headers["Location"], allow_redirects=False)
        assert confirm.status == 200
        return await confirm.text()

    async def press(self, page: str, button: str, **form: str) -> Any:
        data = {"csrf_token": csrf_of(page), button: "1", **form}
        return await self.client.post(action_of(page), data=data, allow_redirects=False)

    async def code(self, **overrides: str | None) -> str:
        """Sign in and confirm; the code the app receives."""
        resp = await self.press(await self.signed_in(**overrides), "confirm")
        assert resp.status == 302
        return query_of(resp.headers["Location"])["code"][0]


@pytest.fixture
async def rehearsal(aiohttp_server, redis_url, signing_key) -> Rehearsal:
    started = await start_rehearsal(aiohttp_server, redis_url, signing_key, code_ttl_ms=60_000)
    d = started.directory
    d.apps[CLIENT_ID] = LoginAsApp(CLIENT_ID, "Sauna Market", ClientKind.MARKETPLACE, (REDIRECT,))
    d.apps[OTHER_CLIENT_ID] = LoginAsApp(
        OTHER_CLIENT_ID, "Other Market", ClientKind.MARKETPLACE, (REDIRECT,)
    )
    d.users[USER.user_id] = USER
    d.users[OTHER_USER.user_id] = OTHER_USER
    return started


@pytest.fixture
async def operator(aiohttp_client, rehearsal) -> Operator:
    return Operator(await aiohttp_client(rehearsal.server), rehearsal)


@pytest.fixture
async def another_browser(aiohttp_client, rehearsal) -> Operator:
    return Operator(await aiohttp_client(rehearsal.server), rehearsal)
