"""Integration tier: the real app (or its Redis backend) against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from service.api.appkeys import SERVICES
from service.app import create_app
from service.oauth.services import Services
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings

AppFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_app(aiohttp_client: Any, redis_url: str, signing_key: Any) -> AppFactory:
    """An aiohttp test client for the real app on the real Redis, with some settings changed."""

    async def factory(**sections: dict[str, Any]) -> TestClient:
        redis = {"url": redis_url, **sections.pop("redis", {})}
        app = create_app(make_settings(redis=redis, **sections), signing=signing_key)
        return await aiohttp_client(app)

    return factory


@pytest.fixture
async def client(make_app: AppFactory) -> TestClient:
    return await make_app()


def services_of(client: TestClient) -> Services:
    return client.server.app[SERVICES]


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Any]:
    """A separate redis-py client, as an operator's own connection would be."""
    conn = aioredis.from_url(redis_url)
    yield conn
    await conn.aclose()


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisBackend]:
    """The Redis backend on the real server (prefix th:)."""
    settings = make_settings(redis={"url": redis_url})
    s = RedisBackend(connect(settings.redis), settings.redis.prefix)
    yield s
    await s.close()
