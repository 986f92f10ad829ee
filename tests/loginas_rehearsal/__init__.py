"""The login-as building blocks composed as the admin listener will compose them, for tests.

Until the admin listener exists this app plays its login-as part: the pages, the operator's
sign-in and session cookie, the confirmation, and ``grant_type=authorization_code`` at
``/v1/auth/token``. Codes go through the real LoginCodeStore on a real redis-server and tokens
through the real JwtCodec and SecretHasher; only the directory (apps, users, operators, the
operators' sessions) is a plain object of the test, standing in for stores that do not exist
yet. Throttling of sign-ins is left to the wiring. Once the admin listener is wired, the tests
that use this move to the real process and this package goes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from redis import asyncio as aioredis

from service.crypto.hashing import SecretHasher
from service.crypto.jwt import JwtCodec
from service.loginas.codes import CODE_TTL
from service.loginas.operators import Operator
from service.store.redis import RedisBackend

from ..conftest import make_settings
from .directory import Directory
from .pages_app import build_app

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "OPERATOR",
    "OPERATOR_PASSWORD",
    "Directory",
    "Rehearsal",
    "start_rehearsal",
]

ISSUER = "http://tokenhouse.rehearsal.test"
AUDIENCE = "tokenhouse"
OPERATOR = "support@example.com"
OPERATOR_PASSWORD = "correct horse battery staple"


@dataclass
class Rehearsal:
    """A running rehearsal app: its server, its directory and its token codec."""

    server: TestServer
    directory: Directory
    codec: JwtCodec

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


async def start_rehearsal(
    aiohttp_server: Any, redis_url: str, signing_key: Any, *, code_ttl_ms: int = CODE_TTL * 1000
) -> Rehearsal:
    """Serve the rehearsal app on a free port, with one operator (``OPERATOR``) and no apps."""
    keys, kid = signing_key
    codec = JwtCodec(keys, kid, algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)
    hasher = SecretHasher(make_settings().hashing)
    redis = aioredis.from_url(redis_url)
    directory = Directory()
    directory.operators[OPERATOR] = Operator("op-1", OPERATOR, hasher.hash(OPERATOR_PASSWORD))
    app = build_app(
        directory,
        codes=RedisBackend(redis, "th:").login_codes,
        codec=codec,
        hasher=hasher,
        csrf_key=secrets.token_bytes(32),
        code_ttl_ms=code_ttl_ms,
    )

    async def close(_: web.Application) -> None:
        await redis.aclose()
        hasher.close()

    app.on_cleanup.append(close)
    return Rehearsal(await aiohttp_server(app), directory, codec)
