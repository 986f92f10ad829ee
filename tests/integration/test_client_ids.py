"""`apps create --client-id`: only ids an integration refresh token can carry, and never a
deleted app's id again (sessions and tokens elsewhere may still name it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from ..flows import INVALID_CLIENT, integration_login, ok, refresh
from ..service_proc import ROOT, base_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def cli(redis_url: str, *args: str) -> Any:
    return run_cli(base_env(TOKENHOUSE_REDIS__URL=redis_url), *args)


def cli_refused(redis_url: str, *args: str) -> str:
    """Run a command that must fail: exit status 1; its stderr."""
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service", *args, "--json"],
        capture_output=True,
        text=True,
        env=base_env(TOKENHOUSE_REDIS__URL=redis_url),
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr.strip()


@pytest.mark.parametrize("bad", ["my_app", "app.v2", "{tag}", "a" * 65, "app id"])
async def test_an_id_no_refresh_token_can_carry_is_refused(redis_url: str, raw: Any, bad: str):
    """Ids outside 1-64 letters, digits and hyphens are refused with a clear message."""
    message = await asyncio.to_thread(
        cli_refused,
        redis_url,
        "apps",
        "create",
        "--kind",
        "integration",
        "--name",
        "partner",
        "--client-id",
        bad,
    )

    assert message == "tokenhouse: a client id is 1 to 64 letters, digits or hyphens"
    assert [k async for k in raw.scan_iter("th:client:*")] == []


async def test_a_chosen_id_works_through_refresh(client: Any, redis_url: str) -> None:
    """An integration app created with a chosen id logs in and refreshes."""
    created = await asyncio.to_thread(
        cli,
        redis_url,
        "apps",
        "create",
        "--kind",
        "integration",
        "--name",
        "partner",
        "--client-id",
        "Partner-42",
    )
    first = await ok(integration_login(client, "Partner-42", created["client_secret"]))

    second = await refresh(client, "Partner-42", first["refresh_token"])

    assert created["client_id"] == "Partner-42"
    assert second[0] == 200 and second[1]["scope"] == "integ"


async def test_a_deleted_apps_id_is_never_given_out_again(make_app: Any, redis_url: str) -> None:
    """After apps delete the id is refused by apps create; old credentials and tokens fail."""
    client = await make_app(cache={"client_ttl": 0.0})
    create = ["apps", "create", "--kind", "integration", "--name", "partner"]
    created = await asyncio.to_thread(cli, redis_url, *create, "--client-id", "partner-7")
    tokens = await ok(integration_login(client, "partner-7", created["client_secret"]))
    await asyncio.to_thread(cli, redis_url, "apps", "delete", "partner-7")

    refused = await asyncio.to_thread(cli_refused, redis_url, *create, "--client-id", "partner-7")
    listed = await asyncio.to_thread(cli, redis_url, "apps", "list")

    assert refused == "tokenhouse: client id partner-7 belonged to a deleted app"
    assert [a["client_id"] for a in listed] == []
    assert await refresh(client, "partner-7", tokens["refresh_token"]) == (401, INVALID_CLIENT)
    assert (await integration_login(client, "partner-7", created["client_secret"])) == (
        401,
        INVALID_CLIENT,
    )
