"""End-to-end tier: the real `tokenhouse serve` process (python -m service) over real HTTP.

One server process for the whole session (its own redis-server, two signing keys, a short
client cache TTL and non-default lifetimes), and a `cli` helper that runs the operator
commands with the same environment, as an operator on the same host would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..redis_proc import RedisProcess, free_port
from .api_client import Api

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "config"

ISSUER = "http://tokenhouse.e2e.test:9443"
ACCESS_TTL = 321
CLIENT_CACHE_TTL = 0.5
ACTIVE_KID = "e2e-new"
OLD_KID = "e2e-old"


def base_env(**extra: str) -> dict[str, str]:
    """The parent's environment without TOKENHOUSE_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENHOUSE_")}
    env.update(extra)
    return env


def run_cli(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None
) -> Any:
    """`python -m service <args> --json`; the parsed JSON it printed (exit status 0 asserted)."""
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or REPO,
        timeout=60,
    )
    assert proc.returncode == 0, (args, proc.returncode, proc.stderr)
    return json.loads(proc.stdout)


class ServeProcess:
    """`python -m service serve` with an environment; stdout and stderr go to files."""

    def __init__(self, env: dict[str, str], workdir: Path, port: int) -> None:
        self.env = env
        self.workdir = workdir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.stdout = workdir / "serve.out"
        self.stderr = workdir / "serve.err"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServeProcess:
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "service", "serve"],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"tokenhouse serve did not become ready:\n{self.stderr.read_text()[-3000:]}"
                    f"\n{self.stdout.read_text()[-3000:]}"
                )
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=1) as resp:  # noqa: S310
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def children(self) -> list[int]:
        """Direct child process ids (the embedded redis-server, when there is one)."""
        assert self.process is not None
        pid = self.process.pid
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(p) for p in text)
        return found

    def stop(self) -> int | None:
        """SIGTERM, wait (graceful drain), kill only if it hangs; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


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
) -> Iterator[ServeProcess]:
    """The real service process for the whole session."""
    proc = ServeProcess(
        e2e_env, tmp_path_factory.mktemp("e2e-serve"), int(e2e_env["TOKENHOUSE_SERVER__PORT"])
    ).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def api(server: ServeProcess) -> Api:
    return Api(server.base)


@pytest.fixture(scope="session")
def cli(e2e_env: dict[str, str]) -> Any:
    """Run a `tokenhouse` command with the server's configuration; its JSON output."""

    def call(*args: str, stdin: str | None = None) -> Any:
        return run_cli(e2e_env, *args, stdin=stdin)

    return call
