"""Browser tier: headless Chromium (Debian's ``chromium``) driven by playwright-core on Node.js.

``tests/sdk/browser.mjs`` runs a plan of steps in one page and reports what it saw;
``tests/sdk/marketplace.mjs`` is a stand-in marketplace server whose login-as endpoints
behave as the Sharetribe web template's. playwright-core never downloads a browser: it starts
``/usr/bin/chromium`` (``TOKENHOUSE_CHROMIUM`` overrides) with a new empty profile. Without
chromium, node or the pinned packages the tier is skipped with the reason; with ``CI`` set it
fails (``.ci/run`` installs chromium).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..node_deps import SDK_DIR, missing_node_packages
from ..redis_proc import free_port

NEEDED = ("playwright-core", "sharetribe-flex-sdk")
CHROMIUM = os.environ.get("TOKENHOUSE_CHROMIUM", "/usr/bin/chromium")
BROWSER_TIMEOUT = 60.0
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _missing_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"chromium is not installed at {CHROMIUM} (Debian's `chromium` package; .ci/run "
            "installs it with apt): the browser tier drives it headless"
        )
    return missing_node_packages(list(NEEDED), "the browser tier (playwright-core)")


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, once chromium and the pinned packages are here; skip (fail under CI)."""
    reason = _missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser tier: {reason}")
        pytest.skip(reason)
    return str(shutil.which("node"))


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where this test's screenshots go (kept with pytest's other tmp output)."""
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return directory


Browse = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def browse(node: str, shots: Path) -> Browse:
    """Runs a plan of steps in one chromium page (tests/sdk/browser.mjs); what it reported."""

    async def run(
        steps: list[dict[str, Any]], viewport: dict[str, int] = DESKTOP
    ) -> dict[str, Any]:
        plan = {"shots": str(shots), "viewport": viewport, "steps": steps}
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SDK_DIR / "browser.mjs"),
            cwd=SDK_DIR,
            env={**os.environ, "BROWSER_PLAN": json.dumps(plan), "TOKENHOUSE_CHROMIUM": CHROMIUM},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), BROWSER_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        lines = out.decode().strip().splitlines()
        detail = (proc.returncode, out.decode()[-3000:], err.decode()[-3000:])
        assert proc.returncode == 0 and lines, detail
        result: dict[str, Any] = json.loads(lines[-1])
        assert "crash" not in result, detail
        return result

    return run


@dataclass
class Marketplace:
    """A running stand-in marketplace (tests/sdk/marketplace.mjs)."""

    url: str
    process: asyncio.subprocess.Process
    notes: list[dict[str, Any]] = field(default_factory=list)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.notes.append(json.loads(line))

    def events(self, name: str) -> list[dict[str, Any]]:
        return [n for n in self.notes if n.get("event") == name]


OpenMarketplace = Callable[..., Awaitable[Marketplace]]


@pytest.fixture
async def marketplace(node: str) -> AsyncIterator[OpenMarketplace]:
    """Starts stand-in marketplaces (the web template's environment variables); stopped after."""
    started: list[tuple[Marketplace, asyncio.Task[None]]] = []

    async def start(*, client_id: str, console_url: str, base_url: str) -> Marketplace:
        port = free_port()
        root = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PORT": str(port),
            "REACT_APP_SHARETRIBE_SDK_CLIENT_ID": client_id,
            "REACT_APP_MARKETPLACE_ROOT_URL": root,
            "SERVER_SHARETRIBE_CONSOLE_URL": console_url,
            "REACT_APP_SHARETRIBE_SDK_BASE_URL": base_url,
            "REACT_APP_SHARETRIBE_USING_SSL": "false",
        }
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SDK_DIR / "marketplace.mjs"),
            cwd=SDK_DIR,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert json.loads(first or b"{}").get("listening") == port, first
        stand_in = Marketplace(root, proc)
        started.append((stand_in, asyncio.ensure_future(stand_in._read())))
        return stand_in

    yield start
    for stand_in, reader in started:
        if stand_in.process.returncode is None:
            stand_in.process.terminate()
        await stand_in.process.wait()
        await reader


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file, after checking its signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
