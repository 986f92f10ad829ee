"""Unit tier: no processes. fakeredis (with Lua) injected into create_app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import fakeredis
import pytest
from aiohttp.test_utils import TestClient

from service.api.appkeys import SERVICES
from service.app import create_app
from service.oauth.services import Services
from service.settings import Settings
from service.store.redis import RedisBackend

from ..conftest import make_settings
from ..factories import store_of


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def fake_redis() -> Any:
    return fakeredis.aioredis.FakeRedis()


AppFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(aiohttp_client: Any, fake_redis: Any, signing_key: Any) -> AppFactory:
    """An aiohttp test client for an app built with the given settings sections."""

    async def factory(**sections: Any) -> TestClient:
        app = create_app(make_settings(**sections), redis=fake_redis, signing=signing_key)
        return await aiohttp_client(app)

    return factory


@pytest.fixture
async def client(make_client: AppFactory) -> TestClient:
    return await make_client()


@pytest.fixture
def services(client: TestClient) -> Services:
    return client.server.app[SERVICES]


@pytest.fixture
def store(client: TestClient) -> RedisBackend:
    """The app's Redis backend, for arranging and inspecting data."""
    return store_of(client)
