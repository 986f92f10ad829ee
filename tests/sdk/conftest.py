"""Official-SDK tier: the real Sharetribe SDKs (pinned in tests/sdk/package.json) run on Node.js
against the real `tokenhouse serve` process, through a stand-in marketplace API.

Two service processes share one redis-server under different key prefixes: one with the usual
access-token lifetime, and one whose access tokens live three seconds, for the refresh scenarios.
Apps and users are made with the operator CLI, a fresh user or integration app per test. Without
Node.js or the installed SDKs the tier is skipped with the reason; with ``CI`` set it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..e2e.api_client import Api
from ..idp_proc import IdpProcess
from ..node_deps import PINNED, missing_node_packages
from ..redis_proc import RedisProcess, free_port
from ..service_proc import CONFIG_DIR, ServiceProcess, base_env, run_cli
from .gateway import Gateway

SDK_DIR = Path(__file__).resolve().parent
SCENARIOS = SDK_DIR / "scenarios"
ISSUER = "http://tokenhouse.sdk.test"
AUDIENCE = "tokenhouse"
SHORT_ACCESS_TTL = 3
NODE_TIMEOUT = 60.0


def _missing_sdk_reason() -> str | None:
    return missing_node_packages(list(PINNED), "the official-SDK tier (the Sharetribe SDKs)")


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, once the pinned SDKs are installed; skip (fail under CI) otherwise."""
    reason = _missing_sdk_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the official-SDK tier: {reason}")
        pytest.skip(reason)
    return str(shutil.which("node"))


@dataclass
class Stack:
    """One running tokenhouse, its CLI environment, and the apps the scenarios share."""

    server: ServiceProcess
    env: dict[str, str]
    public_app: str  # a marketplace app without a secret (the browser SDK)
    trusted_app: dict[str, str]  # a marketplace app with a secret (the server-side SDK)

    @property
    def api(self) -> Api:
        return Api(self.server.url)

    def cli(self, *args: str, stdin: str | None = None) -> Any:
        return run_cli(self.env, *args, stdin=stdin)

    def new_user(self) -> dict[str, str]:
        """A fresh marketplace user: id, email, password (with characters a form must escape)."""
        email = f"sdk+{secrets.token_hex(4)}@example.com"
        password = f"{secrets.token_urlsafe(12)} +&=%ö"
        made = self.cli("users", "create", "--email", email, "--password-stdin", stdin=password)
        return {"id": made["id"], "email": email, "password": password}

    def new_integration_app(self) -> dict[str, str]:
        made = self.cli("apps", "create", "--kind", "integration", "--name", "sdk integration")
        return {"client_id": made["client_id"], "client_secret": made["client_secret"]}

    def sessions(self, *, user: str | None = None, client: str | None = None) -> list[Any]:
        """The live sessions of a user (by e-mail) or an integration client, as the CLI lists them."""
        which = ("--user", user) if user else ("--client", str(client))
        listed: list[Any] = self.cli("sessions", "list", *which)
        return listed

    def admin_token(self) -> str:
        """A new admin token, as a marketplace backend is given one."""
        return str(self.cli("admin-tokens", "create", "--name", "sdk backend")["token"])

    def add_oidc_idp(self, idp: IdpProcess) -> str:
        """The local IdP as an OIDC provider of a new id (added with the CLI); the id."""
        idp_id = f"local-{secrets.token_hex(3)}"
        self.cli(
            "idps", "add", "--id", idp_id, "--kind", "oidc", "--issuer", idp.issuer,
            "--client-id", idp.client_id,
        )  # fmt: skip
        return idp_id

    def events(self, name: str) -> list[dict[str, Any]]:
        """The service's log events of one name."""
        return [e for e in self.server.events() if e.get("event") == name]


def _start_stack(
    redis: RedisProcess, workdir: Path, prefix: str, access_ttl: int
) -> Iterator[Stack]:
    env = base_env(
        TOKENHOUSE_CONFIG_DIR=str(CONFIG_DIR),
        TOKENHOUSE_REDIS__URL=redis.url,
        TOKENHOUSE_REDIS__PREFIX=prefix,
        TOKENHOUSE_SERVER__HOST="127.0.0.1",
        TOKENHOUSE_SERVER__PORT=str(free_port()),
        TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT="2",
        TOKENHOUSE_TOKENS__ISSUER=ISSUER,
        TOKENHOUSE_TOKENS__AUDIENCE=AUDIENCE,
        TOKENHOUSE_TOKENS__ACCESS_TTL=str(access_ttl),
        TOKENHOUSE_LOG__FORMAT="json",
        TOKENHOUSE_LOG__LEVEL="info",
    )
    server = ServiceProcess(workdir, env=env, cwd=workdir).start("/readyz")
    try:
        public = run_cli(env, "apps", "create", "--kind", "marketplace", "--name", "sdk web")
        trusted = run_cli(
            env, "apps", "create", "--kind", "marketplace", "--name", "sdk server", "--secret"
        )
        yield Stack(
            server,
            env,
            public["client_id"],
            {"client_id": trusted["client_id"], "client_secret": trusted["client_secret"]},
        )
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sdk_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """The redis-server of the SDK tier."""
    server = RedisProcess(tmp_path_factory.mktemp("sdk-redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(
    node: str, sdk_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """tokenhouse with the default access-token lifetime."""
    yield from _start_stack(sdk_redis, tmp_path_factory.mktemp("sdk-serve"), "sdk:", 600)


@pytest.fixture(scope="session")
def short_stack(
    node: str, sdk_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """tokenhouse whose access tokens expire after three seconds."""
    workdir = tmp_path_factory.mktemp("sdk-serve-short")
    yield from _start_stack(sdk_redis, workdir, "sdkshort:", SHORT_ACCESS_TTL)


@pytest.fixture(scope="session")
def idp_process(node: str) -> Iterator[IdpProcess]:
    """The local identity provider as a process: discovery, keys and ID tokens for loginWithIdp."""
    idp = IdpProcess().start()
    yield idp
    idp.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[Callable[[Stack], Awaitable[Gateway]]]:
    """Opens a stand-in marketplace API in front of a stack; closed after the test."""
    opened: list[Gateway] = []

    async def open_for(stack: Stack) -> Gateway:
        gw = await Gateway(stack.server.url, ISSUER, AUDIENCE).start()
        opened.append(gw)
        return gw

    yield open_for
    for gw in opened:
        await gw.close()


@pytest.fixture
def scenario(node: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Runs tests/sdk/scenarios/<name>.mjs with node; the JSON line it printed."""

    async def run(name: str, config: dict[str, Any], *args: str) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SCENARIOS / f"{name}.mjs"),
            *args,
            cwd=SDK_DIR,
            env={**os.environ, "SDK_SCENARIO": json.dumps(config)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), NODE_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        lines = out.decode().strip().splitlines()
        detail = (name, proc.returncode, out.decode()[-3000:], err.decode()[-3000:])
        assert proc.returncode == 0 and lines, detail
        result: dict[str, Any] = json.loads(lines[-1])
        assert "crash" not in result, detail
        return result

    return run
