"""Both listeners of one app in a test: the public one and the admin one (/admin/v1, /metrics)."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import ADMIN_APP

_ADMIN: WeakKeyDictionary[web.Application, TestClient] = WeakKeyDictionary()


async def serve_both(aiohttp_client: Any, app: web.Application) -> TestClient:
    """A test client on the public listener; the admin listener starts too (``admin_of``)."""
    public: TestClient = await aiohttp_client(app)
    _ADMIN[app] = await aiohttp_client(app[ADMIN_APP])
    return public


def admin_of(http: TestClient) -> TestClient:
    """The admin listener's test client of the app behind ``http`` (started by serve_both)."""
    return _ADMIN[http.server.app]
