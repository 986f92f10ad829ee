"""`tokenhouse serve` with TOKENHOUSE_ENV unset: JSON logs, no demo data, no need of Redis at
start-up; demo data only ever in the embedded store; `make run` still opts into `local`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from ..flows import UNAVAILABLE
from ..redis_proc import RedisProcess, free_port
from ..service_proc import ROOT, ServiceProcess, base_env
from .api_client import Api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BANNER = "tokenhouse is serving at"
CURL_CLIENT_ID = re.compile(r"-d client_id=([0-9a-f-]{36}) -d scope=public-read")


def unset_env(**extra: str) -> dict[str, str]:
    """The test environment without TOKENHOUSE_ENV, on a free port, plus ``extra``."""
    env = base_env(**{"TOKENHOUSE_SERVER__PORT": str(free_port()), **extra})
    if "TOKENHOUSE_ENV" not in extra:
        del env["TOKENHOUSE_ENV"]
    return env


def wait_ready(service: ServiceProcess, timeout: float = 10.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    status, body = service.get("/readyz")
    while status != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        status, body = service.get("/readyz")
    return status, body


def test_unset_env_logs_json_and_writes_nothing_into_redis(tmp_path: Path) -> None:
    """Env unset, Redis named: every log line is JSON, no demo banner, Redis stays empty."""
    redis = RedisProcess(tmp_path / "redis").start()
    env = unset_env(TOKENHOUSE_REDIS__URL=redis.url)
    service = ServiceProcess(tmp_path / "svc", env=env, cwd=tmp_path)
    try:
        service.start("/readyz")
        keys = redis.command("DBSIZE")
    finally:
        exit_code = service.stop()
        redis.stop()

    events = service.events()  # fails on any line that is not a JSON object
    assert keys == b":0\r\n"
    assert BANNER not in service.log_text()
    assert [e["env"] for e in events if e["event"] == "server.listening"] == [""]
    assert exit_code == 0


def test_unset_env_starts_while_redis_is_down_and_becomes_ready(tmp_path: Path) -> None:
    """Env unset, Redis down at start: live, /readyz 503 until Redis answers, no restart."""
    redis = RedisProcess(tmp_path / "redis", port=free_port())
    env = unset_env(TOKENHOUSE_REDIS__URL=redis.url)
    service = ServiceProcess(tmp_path / "svc", env=env, cwd=tmp_path)
    try:
        service.start()
        live = service.get("/healthz")
        not_ready = service.get("/readyz")
        redis.start()
        ready = wait_ready(service)
        alive = service.alive
    finally:
        service.stop()
        redis.stop()

    assert live == (200, b'{"status":"ok"}')
    assert (not_ready[0], json.loads(not_ready[1])) == (503, UNAVAILABLE)
    assert ready == (200, b'{"status":"ready"}')
    assert alive


def test_local_env_never_writes_demo_data_into_a_named_redis(tmp_path: Path) -> None:
    """TOKENHOUSE_ENV=local with a Redis URL: demo data is skipped (a warning), Redis untouched."""
    redis = RedisProcess(tmp_path / "redis").start()
    env = unset_env(TOKENHOUSE_ENV="local", TOKENHOUSE_REDIS__URL=redis.url)
    service = ServiceProcess(tmp_path / "svc", env=env, cwd=tmp_path)
    try:
        service.start("/readyz")
        keys = redis.command("DBSIZE")
    finally:
        service.stop()
        redis.stop()

    text = service.log_text()
    assert keys == b":0\r\n"
    assert BANNER not in text
    assert "demo.skipped" in text and "demo data only goes into the embedded store" in text


def ready(port: int) -> bool:
    """True once the service on the port answers /readyz with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except OSError:
        return False


def test_make_run_serves_demo_data_from_the_embedded_store(tmp_path: Path) -> None:
    """`make run` with TOKENHOUSE_ENV unset: local mode, embedded store, printed demo app works."""
    port = free_port()
    state = tmp_path / "state"
    env = unset_env(TOKENHOUSE_SERVER__PORT=str(port), TOKENHOUSE_REDIS__EMBEDDED_DIR=str(state))
    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: SIGTERM reaches make's children
        )
    try:
        deadline = time.monotonic() + 60
        while not ready(port):
            assert make.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        printed = log_path.read_text()
        match = CURL_CLIENT_ID.search(printed)
        assert match, printed
        status, body = Api(f"http://127.0.0.1:{port}").anonymous(match.group(1))
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(30)

    assert BANNER in printed and "local mode only" in printed
    assert "server.listening" in printed and '"event"' not in printed  # console logs, not JSON
    assert (status, body["scope"]) == (200, "public-read")
    assert (state / "demo.json").is_file()
