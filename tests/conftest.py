"""Fixtures shared by every tier: settings, a signing key, and the session redis-server."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.crypto.jwt import SigningKey, generate_pem, load_key
from service.settings import Settings, load_settings, replace

from .redis_proc import RedisProcess

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# The server secret of the tests (never a real one): 32 bytes, base64.
TEST_SERVER_KEY = base64.b64encode(hashlib.sha256(b"tokenhouse tests").digest()).decode()


def make_settings(**sections: dict[str, Any]) -> Settings:
    """Test settings (config/test.toml, the tests' server key) with some fields changed."""
    environ = {"TOKENHOUSE_ENV": "test", "TOKENHOUSE_SECRETS__SERVER_KEY": TEST_SERVER_KEY}
    base = load_settings(environ, CONFIG_DIR)
    return replace(base, **sections) if sections else base


@pytest.fixture(scope="session")
def signing_key() -> tuple[list[SigningKey], str]:
    key = load_key("test-key", generate_pem("ES256"), "ES256")
    return [key], key.kid


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """One real redis-server for the session (started only when a test asks for it)."""
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The session server's URL, flushed before the test."""
    redis_server.command("FLUSHALL")
    return redis_server.url
