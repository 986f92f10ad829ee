"""`tokenhouse serve` with no Redis URL: the embedded redis-server, demo data, persistence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..redis_proc import free_port
from ..service_proc import CONFIG_DIR, ServiceProcess, base_env
from .api_client import Api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CURL_CLIENT_ID = re.compile(
    r"curl -s -X POST (\S+)/v1/auth/token -d grant_type=client_credentials "
    r"-d client_id=([0-9a-f-]{36}) -d scope=public-read"
)
USERNAME = re.compile(r"username\s+(\S+)")
PASSWORD = re.compile(r"password\s+(\S+)")


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_embedded_store_serves_persists_and_leaves_no_orphan(tmp_path):
    """Local serve without a Redis URL answers the printed curl, keeps sessions across a restart."""
    port = free_port()
    env = base_env(
        TOKENHOUSE_ENV="local",
        TOKENHOUSE_CONFIG_DIR=str(CONFIG_DIR),
        TOKENHOUSE_SERVER__PORT=str(port),
    )
    assert "TOKENHOUSE_REDIS__URL" not in env
    first = ServiceProcess(tmp_path, env=env, cwd=tmp_path).start("/readyz")
    try:
        children = first.children()
        printed = first.log_text()
        match = CURL_CLIENT_ID.search(printed)
        assert match, printed
        base, client_id = match.groups()
        email, password = USERNAME.search(printed).group(1), PASSWORD.search(printed).group(1)
        api = Api(f"http://127.0.0.1:{port}")
        anon_status, anon = api.anonymous(client_id)
        login_status, login = api.login(client_id, email, password)
    finally:
        first_exit = first.stop()

    assert base == f"http://127.0.0.1:{port}"
    assert anon_status == 200 and anon["scope"] == "public-read"
    assert login_status == 200 and login["refresh_token"]
    assert first_exit == 0
    assert children and not any(process_alive(pid) for pid in children)
    assert (tmp_path / ".tokenhouse").is_dir()

    second = ServiceProcess(tmp_path, env=env, cwd=tmp_path).start("/readyz")
    try:
        second_children = second.children()
        status, refreshed = Api(f"http://127.0.0.1:{port}").refresh(
            client_id, login["refresh_token"]
        )
    finally:
        second_exit = second.stop()

    assert status == 200 and refreshed["scope"] == "user"
    assert refreshed["refresh_token"] != login["refresh_token"]
    assert second_exit == 0
    assert not any(process_alive(pid) for pid in second_children)
