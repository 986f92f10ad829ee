"""End-to-end tier: the real `tokenhouse serve` process (python -m service) over real HTTP.

One server process for the whole session (its own redis-server, two signing keys, a short
client cache TTL and non-default lifetimes), and a `cli` helper that runs the operator
commands with the same environment, as an operator on the same host would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..redis_proc import RedisProcess, free_port
from ..service_proc import CONFIG_DIR, ServiceProcess, base_env, run_cli
from .api_client import Api

ISSUER = "http://tokenhouse.e2e.test:9443"
ACCESS_TTL = 321
CLIENT_CACHE_TTL = 0.5
ACTIVE_KID = "e2e-new"
OLD_KID = "e2e-old"


@pytest.fixture(scope="session")
def e2e_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A redis-server of the e2e tier's own (other tiers flush theirs per test)."""
    server = RedisProcess(tmp_path_factory.mktemp("e2e-redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def e2e_env(e2e_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The configuration shared by the server and the CLI: env vars only, as deployed."""
    keys = tmp_path_factory.mktemp("e2e-keys")
    env = base_env(
        TOKENHOUSE_ENV="test",
        TOKENHOUSE_CONFIG_DIR=str(CONFIG_DIR),
        TOKENHOUSE_REDIS__URL=e2e_redis.url,
        TOKENHOUSE_SERVER__HOST="127.0.0.1",
        TOKENHOUSE_SERVER__PORT=str(free_port()),
        TOKENHOUSE_TOKENS__ACCESS_TTL=str(ACCESS_TTL),
        TOKENHOUSE_TOKENS__ISSUER=ISSUER,
        TOKENHOUSE_CACHE__CLIENT_TTL=str(CLIENT_CACHE_TTL),
        TOKENHOUSE_LOG__LEVEL="warning",
    )
    for kid in (OLD_KID, ACTIVE_KID):
        written = run_cli(env, "keys", "generate", "--dir", str(keys), "--kid", kid)
        assert written["kid"] == kid
    env["TOKENHOUSE_KEYS__DIR"] = str(keys)
    env["TOKENHOUSE_KEYS__ACTIVE_KID"] = ACTIVE_KID
    return env


@pytest.fixture(scope="session")
def server(
    e2e_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """The real service process for the whole session, once it is ready."""
    workdir = tmp_path_factory.mktemp("e2e-serve")
    proc = ServiceProcess(workdir, env=e2e_env, cwd=workdir).start("/readyz")
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def api(server: ServiceProcess) -> Api:
    return Api(server.url)


@pytest.fixture(scope="session")
def cli(e2e_env: dict[str, str]) -> Any:
    """Run a `tokenhouse` command with the server's configuration; its JSON output."""

    def call(*args: str, stdin: str | None = None) -> Any:
        return run_cli(e2e_env, *args, stdin=stdin)

    return call
