"""The store for one-off work outside the server (operator commands, demo data).

Without a Redis URL it is the embedded redis-server: the one a running ``serve`` started
(found by its socket), else one started for the duration of the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .admin import Admin, build_admin
from .crypto.hashing import SecretHasher
from .crypto.sealing import idp_sealer
from .crypto.server_key import ServerKey, ServerKeyError, load_server_key, with_local_server_key
from .embedded import EmbeddedRedis
from .settings import ConfigError, Settings
from .store.redis import RedisBackend, connect

COMMAND_DEADLINE = 5.0  # seconds: operator commands may scan


async def _socket_alive(url: str, settings: Settings) -> bool:
    try:
        client = connect(settings.redis, url)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()
    except Exception:  # noqa: BLE001 - any failure means "not alive"
        return False


def server_key(settings: Settings) -> ServerKey | None:
    """The configured server key (for `make run`, one generated beside the embedded store);
    ConfigError when the configured one cannot be used."""
    try:
        return load_server_key(with_local_server_key(settings).secrets)
    except ServerKeyError as exc:
        raise ConfigError([str(exc)]) from None


@asynccontextmanager
async def open_backend(settings: Settings) -> AsyncIterator[RedisBackend]:
    """The configured store; without a URL the embedded one (reused if a server runs it)."""
    key = server_key(settings)
    embedded = None
    url = settings.redis.url
    if not url:
        embedded = EmbeddedRedis(settings.redis.embedded_dir)
        if await _socket_alive(embedded.url, settings):
            url, embedded = embedded.url, None
        else:
            url = embedded.start()
    backend = RedisBackend(
        connect(settings.redis, url),
        settings.redis.prefix,
        deadline=max(settings.server.request_timeout, COMMAND_DEADLINE),
        sealer=idp_sealer(key),
    )
    try:
        yield backend
    finally:
        await backend.close()
        if embedded is not None:
            embedded.stop()


@asynccontextmanager
async def open_admin(settings: Settings) -> AsyncIterator[Admin]:
    """The application layer on the configured store, with the configured argon2id hasher."""
    hasher = SecretHasher(settings.hashing)
    try:
        async with open_backend(settings) as backend:
            yield build_admin(backend, hasher, production=settings.production)
    finally:
        hasher.close()
