"""Start-up against a Redis that is down, or that evicts and does not persist."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ..flows import UNAVAILABLE
from ..redis_proc import RedisProcess, free_port
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def wait_ready(service: ServiceProcess, timeout: float = 10.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    status, body = service.get("/readyz")
    while status != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        status, body = service.get("/readyz")
    return status, body


def test_starts_while_redis_is_down_and_becomes_ready_when_it_returns(tmp_path: Path) -> None:
    """Redis down at start: live (200) but not ready (503) until Redis answers, no restart."""
    redis = RedisProcess(tmp_path / "redis", port=free_port())
    service = ServiceProcess(tmp_path / "service", redis.url)
    try:
        service.start()
        live = service.get("/healthz")
        not_ready = service.get("/readyz")
        redis.start()
        ready = wait_ready(service)
        pid_alive = service.alive
    finally:
        service.stop()
        redis.stop()

    assert live == (200, b'{"status":"ok"}')
    assert (not_ready[0], json.loads(not_ready[1])) == (503, UNAVAILABLE)
    assert ready == (200, b'{"status":"ready"}')
    assert pid_alive
    warnings = [e for e in service.events() if e["event"] == "redis.config"]
    assert [w["warning"] for w in warnings] == [
        "Redis did not answer CONFIG GET; cannot check eviction and persistence"
    ]


def test_warns_at_start_when_redis_evicts_and_does_not_persist(tmp_path: Path) -> None:
    """maxmemory-policy allkeys-lru and appendonly no: one redis.config warning for each."""
    redis = RedisProcess(
        tmp_path / "redis", "--maxmemory-policy", "allkeys-lru", "--appendonly", "no"
    ).start()
    service = ServiceProcess(tmp_path / "service", redis.url)
    try:
        service.start()
    finally:
        service.stop()
        redis.stop()

    warnings = [e for e in service.events() if e["event"] == "redis.config"]
    assert sorted(w["warning"] for w in warnings) == [
        "Redis appendonly is off: sessions are lost on a Redis restart",
        "Redis maxmemory-policy is allkeys-lru: sessions may be evicted",
    ]
    assert all(w["level"] == "warning" for w in warnings)


def test_starts_without_a_server_key_and_refuses_only_facebook_providers(tmp_path: Path) -> None:
    """No server key: the process starts and warns; adding a Facebook provider is a clear 400,
    an OIDC provider works."""
    from ..admin_api import AdminHttp
    from ..service_proc import base_env, run_cli

    redis = RedisProcess(tmp_path / "redis").start()
    env = base_env(TOKENHOUSE_REDIS__URL=redis.url)
    del env["TOKENHOUSE_SECRETS__SERVER_KEY"]
    env.update(TOKENHOUSE_SERVER__PORT=str(free_port()), TOKENHOUSE_LOG__FORMAT="json")
    service = ServiceProcess(tmp_path / "service", env=env)
    try:
        service.start()
        admin = AdminHttp(
            service.admin_url, run_cli(env, "admin-tokens", "create", "--name", "t")["token"]
        )
        facebook = admin.request(
            "POST", "/admin/v1/idps",
            {"id": "fb", "kind": "facebook", "client_id": "1", "client_secret": "s"},
        )  # fmt: skip
        oidc = admin.request(
            "POST", "/admin/v1/idps",
            {"id": "g", "kind": "oidc", "issuer": "https://a.example", "client_ids": ["x"]},
        )  # fmt: skip
    finally:
        service.stop()
        redis.stop()

    assert facebook == (
        400,
        {
            "error": "invalid_request",
            "error_description": "A Facebook app secret cannot be stored: the server has no "
            "server key (TOKENHOUSE_SECRETS__SERVER_KEY).",
        },
    )
    assert oidc[0] == 201
    assert [e["event"] for e in service.events() if e["event"] == "secrets.no_server_key"] == [
        "secrets.no_server_key"
    ]
