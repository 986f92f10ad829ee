"""The Node.js packages pinned in tests/sdk: whether node and the pinned versions are installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

SDK_DIR = Path(__file__).resolve().parent / "sdk"
PINNED: dict[str, str] = json.loads((SDK_DIR / "package.json").read_text())["dependencies"]


def missing_node_packages(names: list[str], purpose: str) -> str | None:
    """Why ``names`` (pinned in tests/sdk) cannot run on Node.js here, or None when they can."""
    node = shutil.which("node")
    if node is None:
        return f"node is not installed: {purpose} runs on Node.js"
    version = subprocess.run(  # noqa: S603
        [node, "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 18:
        return f"node {version} is too old for {purpose} (needs 18 or newer)"
    for name in names:
        manifest = SDK_DIR / "node_modules" / name / "package.json"
        installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
        if installed != PINNED[name]:
            return (
                f"{name} {PINNED[name]} is not installed in tests/sdk/node_modules "
                f"(found {installed}): `make sdk-deps` installs it with npm ci"
            )
    return None
