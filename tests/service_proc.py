"""The real ``python -m service`` process: ``serve`` for the end-to-end, fault, fuzz and
operations tiers, and the operator CLI.

Each server listens on a loopback port of its own (free unless given), works in a directory of
its own and writes its stdout and stderr (the JSON log) to one file there, so a test can read
every line it logged. The machine's Redis on 6379 is never touched.
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

from .conftest import TEST_SERVER_KEY
from .redis_proc import free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"


def base_env(**extra: str) -> dict[str, str]:
    """The parent's environment without TOKENHOUSE_* (nor PROMETHEUS_* switches), in the test
    environment, with a free admin port of its own and the tests' server key, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TOKENHOUSE_") and not k.startswith("PROMETHEUS_")
    }
    env.update(
        {
            "TOKENHOUSE_ENV": "test",
            "TOKENHOUSE_ADMIN__PORT": str(free_port()),
            "TOKENHOUSE_SECRETS__SERVER_KEY": TEST_SERVER_KEY,
            **extra,
        }
    )
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
        cwd=cwd or ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, (args, proc.returncode, proc.stderr)
    return json.loads(proc.stdout)


class ServiceProcess:
    """`python -m service serve [args]`: started, polled until it answers, SIGTERM-able.

    With ``env`` the process gets exactly that environment (its port is read from it);
    otherwise it gets :func:`base_env` for ``redis_url`` on a free (or the given) port, a JSON
    log and a 2 s shutdown timeout, with ``settings`` (TOKENHOUSE_* variables) on top.
    """

    def __init__(
        self,
        workdir: Path,
        redis_url: str | None = None,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
        **settings: str,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        if env is None:
            self.port = port or free_port()
            env = base_env(
                TOKENHOUSE_SERVER__HOST="127.0.0.1",
                TOKENHOUSE_SERVER__PORT=str(self.port),
                TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT="2",
                TOKENHOUSE_LOG__FORMAT="json",
                **({"TOKENHOUSE_REDIS__URL": redis_url} if redis_url else {}),
            )
        else:
            self.port = int(env["TOKENHOUSE_SERVER__PORT"])
        self.env = {**env, **settings}
        # Every process gets an admin listener on a port of its own (never the default 8081).
        self.env.setdefault("TOKENHOUSE_ADMIN__PORT", str(free_port()))
        self.admin_port = int(self.env["TOKENHOUSE_ADMIN__PORT"])
        self.args = list(args)
        self.cwd = cwd
        self.log_path = workdir / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The admin listener (/admin/v1/*, /metrics)."""
        return f"http://127.0.0.1:{self.admin_port}"

    def launch(self) -> ServiceProcess:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "service", "serve", *self.args],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_for(self, path: str = "/healthz", timeout: float = 30.0) -> ServiceProcess:
        """Poll ``path`` (/healthz: live, /readyz: ready) until 200; kill it if it never is."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.get(path)[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the service did not answer {path}:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def start(self, path: str = "/healthz", timeout: float = 30.0) -> ServiceProcess:
        return self.launch().wait_for(path, timeout)

    def get(self, path: str, *, admin: bool = False) -> tuple[int, bytes]:
        """A blocking GET (for start-up polling), on the admin listener with ``admin``;
        (0, b"") when nothing answers."""
        base = self.admin_url if admin else self.url
        try:
            with urllib.request.urlopen(base + path, timeout=2) as resp:  # noqa: S310
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, wait (graceful drain), kill only if it hangs; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def children(self) -> list[int]:
        """Direct child process ids (the embedded redis-server, when there is one)."""
        assert self.process is not None
        found: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found.extend(int(p) for p in (task / "children").read_text().split())
        return found

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    def settled_log_text(self, quiet: float = 0.03, timeout: float = 2.0) -> str:
        """The log once it stops growing: the service writes the lines of one event-loop turn
        at the end of the turn, so a response may reach the test just before its lines."""
        text = self.log_text()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(quiet)
            again = self.log_text()
            if again == text and (not text or text.endswith("\n")):
                break
            text = again
        return text

    def events(self) -> list[dict[str, Any]]:
        """Every log line, parsed (a line that is not a JSON object fails the test)."""
        out = []
        for line in self.settled_log_text().splitlines():
            if line.strip():
                event = json.loads(line)
                assert isinstance(event, dict), line
                out.append(event)
        return out


def start_all(*servers: ServiceProcess) -> None:
    """Launch every server, then wait for each (they start in parallel)."""
    for server in servers:
        server.launch()
    for server in servers:
        server.wait_for()
