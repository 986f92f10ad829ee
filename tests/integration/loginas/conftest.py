"""The login-as steps over HTTP against the real process: the pages on its admin listener, the
grant on its public one.

One ``tokenhouse serve`` (its own redis-server) for the module, with a marketplace app whose
redirect URI is registered, two users and an operator, all made with the CLI as an operator
would. Each test drives its own "browser" (an aiohttp session with a cookie jar); tests that
disable or delete someone make their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from service.loginas import pkce

from ...login_as import (
    OPERATOR_PASSWORD,
    LoginAsService,
    action_of,
    csrf_of,
    query_of,
    start_login_as_service,
)
from ...redis_proc import RedisProcess

REDIRECT = "https://market.example/api/login-as"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
STATE = "st-Yp0v3fXK1oXjD9Yq0hV6zj9zEwqfJj7r3p1JtX0V"
SESSION_COOKIE = "tokenhouse-operator"


@dataclass(frozen=True)
class World:
    """The running service and what the CLI made in it."""

    service: LoginAsService
    redis: RedisProcess
    app: dict[str, Any]  # "Sauna Market", redirect URI REDIRECT
    other_app: dict[str, Any]  # "Other Market", the same redirect URI
    user: dict[str, Any]
    other_user: dict[str, Any]
    operator: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("login-as")
    redis = RedisProcess(workdir).start()
    service = start_login_as_service(
        workdir, redis.url, TOKENHOUSE_THROTTLE__SOURCE_FAILURES="100000"
    )
    try:
        yield World(
            service,
            redis,
            app=service.new_app("Sauna Market", REDIRECT, secret=True),
            other_app=service.new_app("Other Market", REDIRECT),
            user=service.new_user("maria@example.com"),
            other_user=service.new_user("jussi@example.com"),
            operator=service.new_operator("support@example.com"),
        )
    finally:
        service.process.stop()
        redis.stop()


def authorize_query(world: World, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": world.app["client_id"],
        "redirect_uri": REDIRECT,
        "user_id": world.user["id"],
        "state": STATE,
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return urlencode({k: v for k, v in params.items() if v is not None})


class Audit:
    """The audit events the service logs from now on (its log is shared by the module)."""

    def __init__(self, world: World) -> None:
        self.service = world.service
        self.start = len(world.service.process.events())

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.service.process.events()[self.start :] if e.get("event") == name]

    def outcomes(self, name: str) -> list[str]:
        return [e["outcome"] for e in self.events(name)]

    def rows(self, name: str) -> list[tuple[str | None, str | None, str | None, str]]:
        return [(e["operator"], e["user"], e["app"], e["outcome"]) for e in self.events(name)]


@pytest.fixture
def audit(world: World) -> Audit:
    return Audit(world)


@dataclass
class Browser:
    """An operator's browser: a session with a cookie jar on the admin listener."""

    http: aiohttp.ClientSession
    world: World

    async def open(self, **overrides: str | None) -> tuple[int, str, Any]:
        resp = await self.http.get(
            f"/api/authorize-as?{authorize_query(self.world, **overrides)}", allow_redirects=False
        )
        return resp.status, await resp.text(), resp

    async def sign_in(
        self,
        page: str,
        *,
        email: str | None = None,
        password: str = OPERATOR_PASSWORD,
        **extra: str,
    ) -> Any:
        form = {
            "csrf_token": csrf_of(page),
            "email": email or self.world.operator["email"],
            "password": password,
            **extra,
        }
        return await self.http.post(action_of(page), data=form, allow_redirects=False)

    async def signed_in(self, *, email: str | None = None, **overrides: str | None) -> str:
        """Sign in from the authorize page (unless signed in already); the confirmation page."""
        _, page, _ = await self.open(**overrides)
        if 'name="confirm"' in page:
            return page
        resp = await self.sign_in(page, email=email)
        assert resp.status == 303, await resp.text()
        confirm = await self.http.get(resp.headers["Location"], allow_redirects=False)
        assert confirm.status == 200, await confirm.text()
        return await confirm.text()

    async def press(self, page: str, button: str, **form: str) -> Any:
        data = {"csrf_token": csrf_of(page), button: "1", **form}
        return await self.http.post(action_of(page), data=data, allow_redirects=False)

    async def code(self, **overrides: str | None) -> str:
        """Sign in and confirm; the code the app receives."""
        resp = await self.press(await self.signed_in(**overrides), "confirm")
        assert resp.status == 302, await resp.text()
        return query_of(resp.headers["Location"])["code"][0]

    def session_cookie(self) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == SESSION_COOKIE:
                return cookie.value
        return None


async def _browser(world: World) -> Browser:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1
    return Browser(aiohttp.ClientSession(world.service.console_url, cookie_jar=jar), world)


@pytest.fixture
async def operator(world: World) -> AsyncIterator[Browser]:
    browser = await _browser(world)
    yield browser
    await browser.http.close()


@pytest.fixture
async def another_browser(world: World) -> AsyncIterator[Browser]:
    browser = await _browser(world)
    yield browser
    await browser.http.close()


@pytest.fixture
async def public(world: World) -> AsyncIterator[aiohttp.ClientSession]:
    """The public listener, as the marketplace's server reaches it."""
    async with aiohttp.ClientSession(world.service.url) as http:
        yield http
