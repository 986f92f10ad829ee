"""The real ``python -m service serve`` process, for the fault, log and fuzz tiers.

Each instance listens on a free loopback port, talks to the Redis URL it is given and writes
its stdout (the JSON log) to a file of its own, so a test can read every line it logged.
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
from pathlib import Path
from typing import Any

from .redis_proc import free_port

ROOT = Path(__file__).resolve().parent.parent


class ServiceProcess:
    """One tokenhouse worker, TOKENHOUSE_ENV=test, its log in ``log_path``."""

    def __init__(self, log_path: Path, redis_url: str, **env: str) -> None:
        self.log_path = log_path
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TOKENHOUSE_")},
            "TOKENHOUSE_ENV": "test",
            "TOKENHOUSE_REDIS__URL": redis_url,
            "TOKENHOUSE_SERVER__PORT": str(self.port),
            "TOKENHOUSE_SERVER__HOST": "127.0.0.1",
            "TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT": "2",
            "TOKENHOUSE_LOG__FORMAT": "json",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServiceProcess:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "service", "serve"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.get("/healthz")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def get(self, path: str) -> tuple[int, bytes]:
        """A blocking GET (for start-up polling); (0, b"") when nothing answers."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as resp:  # noqa: S310
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    def events(self) -> list[dict[str, Any]]:
        """Every log line, parsed (a line that is not a JSON object fails the test)."""
        out = []
        for line in self.log_text().splitlines():
            if line.strip():
                event = json.loads(line)
                assert isinstance(event, dict), line
                out.append(event)
        return out
