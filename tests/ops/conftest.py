"""Operations tier: each module that asks for ``redis`` gets a redis-server of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..redis_proc import RedisProcess


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A redis-server for this module only."""
    server = RedisProcess(tmp_path_factory.mktemp("ops-redis")).start()
    yield server
    server.stop()
