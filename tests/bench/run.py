"""`make bench`: successful token responses per CPU-second of the service plus Redis, per grant.

Starts its own redis-server (AOF and RDB off: the bench measures the service, not the disk)
and ``python -m service serve --workers N`` in production configuration, seeds clients, users
and sessions, drives each grant with ``wrk`` (one Lua script per grant under lua/), reads the
CPU time of the workers and of redis-server from /proc, then measures isolation under a
verification flood, Redis commands per grant and Redis bytes per session. Results go to
tests/bench/results/ as JSON and PNG. See tests/bench/README.md.

Everything is bounded: each wrk run lasts BENCH_DURATION seconds (default 10) after a
BENCH_WARMUP (default 2) warm-up, every wait has a deadline, and only loopback is used.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from service.crypto.hashing import SecretHasher
from service.models import Client, ClientKind, User
from service.oauth.services import session_limits
from service.oauth.tokens import RefreshToken
from service.owners import Owner
from service.settings import HashingSettings, RedisSettings, TokenSettings
from service.store.redis import RedisBackend, connect
from tests.redis_proc import RedisProcess, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LUA = HERE / "lua"
RESULTS = Path(os.environ.get("BENCH_OUT", HERE / "results"))
TOKEN_PATH = "/v1/auth/token"
ISSUER = "https://auth.bench.invalid"
CLK_TCK = os.sysconf("SC_CLK_TCK")

TARGETS = {  # successes per CPU-second of server plus Redis (issue 5)
    "refresh_token": 3000,
    "client_credentials_integration": 3000,
    "client_credentials_anonymous": 5500,
    "token_exchange": 2500,
    "password": 42,
}
P99_TARGETS_MS = {"refresh_token": 16.0}


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class Config:
    duration: float = field(default_factory=lambda: env_float("BENCH_DURATION", 10))
    warmup: float = field(default_factory=lambda: env_float("BENCH_WARMUP", 2))
    connections: int = field(default_factory=lambda: env_int("BENCH_CONNECTIONS", 32))
    threads: int = field(default_factory=lambda: env_int("BENCH_THREADS", 1))
    workers: int = field(default_factory=lambda: env_int("BENCH_WORKERS", 2))
    sessions: int = field(default_factory=lambda: env_int("BENCH_SESSIONS", 100_000))
    probe_requests: int = field(default_factory=lambda: env_int("BENCH_PROBE_REQUESTS", 200))
    grants: list[str] = field(
        default_factory=lambda: [
            g for g in os.environ.get("BENCH_GRANTS", ",".join(TARGETS)).split(",") if g
        ]
    )
    parts: list[str] = field(
        default_factory=lambda: [
            p
            for p in os.environ.get(
                "BENCH_PARTS", "calibrate,grants,isolation,commands,memory"
            ).split(",")
            if p
        ]
    )
    variant: str = field(default_factory=lambda: os.environ.get("BENCH_VARIANT", ""))
    tag: str = field(default_factory=lambda: os.environ.get("BENCH_TAG", ""))


# --------------------------------------------------------------------------- prerequisites
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is missing: install it with `sudo apt-get install -y wrk`")
    print("installing wrk with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(cmd, env=env, timeout=300, check=False).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update", "-q"], env=env, timeout=300, check=True)  # noqa: S603,S607
        subprocess.run(cmd, env=env, timeout=300, check=True)  # noqa: S603
    return shutil.which("wrk") or "wrk"


def ensure_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("installing the bench extra (matplotlib) into this environment", flush=True)
        cmd = [sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[bench]"]
        if subprocess.run(cmd, timeout=600, check=False).returncode != 0:  # noqa: S603
            print("matplotlib unavailable: no PNG chart", flush=True)
            return False
    return True


# --------------------------------------------------------------------------- /proc
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def stop_tree(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a process and everything below it; SIGKILL what is left after ``timeout``."""
    pids = descendants(proc.pid) if proc.poll() is None else []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        proc.poll()
        if all(_stat(p) is None or _stat(p)[0] == "Z" for p in pids):  # type: ignore[index]
            break
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            if _stat(pid) is not None:
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --------------------------------------------------------------------------- HTTP helpers
def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def post(port: int, body: dict[str, str], headers: dict[str, str] | None = None) -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        conn.request("POST", TOKEN_PATH, urlencode(body), hdrs)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


# --------------------------------------------------------------------------- the system
@dataclass
class Seed:
    public: str = ""  # marketplace client without a secret
    confidential: str = ""  # marketplace client with a secret (token exchange)
    confidential_secret: str = ""
    integration: str = ""
    integration_secret: str = ""
    email: str = "bench@example.com"
    password: str = ""
    exchange_email: str = "exchange@example.com"


class System:
    """redis-server + the service, in a temporary directory; stopped on exit."""

    def __init__(self, cfg: Config, tmp: Path) -> None:
        self.cfg = cfg
        self.tmp = tmp
        self.redis = RedisProcess(tmp / "redis")
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.seed = Seed()
        self.env: dict[str, str] = {}
        self.log_path = tmp / "service.log"

    def start(self) -> None:
        self.redis.start()
        keydir = self.tmp / "keys"
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "service", "keys", "generate", "--dir", str(keydir)],
            check=True,
            timeout=60,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        # Production configuration (config/production.toml + validation), bound to loopback,
        # behind one trusted proxy as in deploy/base/configmap.yaml.
        overrides = {k: v for k, v in os.environ.items() if k.startswith("TOKENHOUSE_")}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TOKENHOUSE_")},
            "TOKENHOUSE_ENV": "production",
            "TOKENHOUSE_SERVER__HOST": "127.0.0.1",
            "TOKENHOUSE_SERVER__PORT": str(self.port),
            "TOKENHOUSE_SERVER__PROXY_HOPS": "1",
            "TOKENHOUSE_REDIS__URL": self.redis.url,
            "TOKENHOUSE_KEYS__DIR": str(keydir),
            "TOKENHOUSE_TOKENS__ISSUER": ISSUER,
            "TOKENHOUSE_LOG__LEVEL": "info",
            **overrides,
        }
        self.overrides = overrides
        asyncio.run(self._seed())
        module = "tests.bench.serve" if self.cfg.variant else "service"
        cmd = [sys.executable, "-m", module, "serve", "--workers", str(self.cfg.workers)]
        log = self.log_path.open("wb")
        self.server = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        procs = descendants(self.server.pid)
        self.worker_pids = [p for p in procs if p != self.server.pid] or [self.server.pid]

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.server is not None
            if self.server.poll() is not None:
                raise SystemExit(f"the service exited; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/readyz")
                ready = conn.getresponse().status == 200
                conn.close()
                # every worker must be up: wait until N workers exist and answer
                expected = self.cfg.workers + (1 if self.cfg.workers > 1 else 0)
                if ready and len(descendants(self.server.pid)) >= expected:
                    time.sleep(0.5)
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"the service did not become ready; see {self.log_path}")

    def stop(self) -> None:
        if self.server is not None:
            stop_tree(self.server)
        self.redis.stop()

    def store(self) -> RedisBackend:
        return RedisBackend(connect(RedisSettings(url=self.redis.url)), "th:", deadline=30.0)

    async def _seed(self) -> None:
        hasher = SecretHasher(HashingSettings())  # production argon2id: m=19456, t=2, p=1
        store = self.store()
        s = self.seed
        try:
            s.public, s.confidential, s.integration = (str(uuid.uuid4()) for _ in range(3))
            s.confidential_secret = base64.urlsafe_b64encode(os.urandom(24)).decode()
            s.integration_secret = base64.urlsafe_b64encode(os.urandom(24)).decode()
            s.password = base64.urlsafe_b64encode(os.urandom(12)).decode()
            for cid, kind, secret in (
                (s.public, ClientKind.MARKETPLACE, ""),
                (s.confidential, ClientKind.MARKETPLACE, s.confidential_secret),
                (s.integration, ClientKind.INTEGRATION, s.integration_secret),
            ):
                secret_hash = hasher.hash(secret) if secret else ""
                await store.clients.save(Client(cid, kind, f"bench {kind.value}", secret_hash))
            for email in (s.email, s.exchange_email):
                user = User(str(uuid.uuid4()), email, hasher.hash(s.password))
                assert await store.users.create(user)
        finally:
            await store.close()
            hasher.close()

    def refresh_tokens(self, count: int, path: Path) -> Path:
        """``count`` live sessions of the public client, one user each; their tokens to a file."""

        async def make() -> list[str]:
            store = self.store()
            tokens = TokenSettings()
            out = []
            try:
                for _ in range(count):
                    user = User(str(uuid.uuid4()), f"{uuid.uuid4().hex}@bench.invalid", "")
                    assert await store.users.create(user)  # a user's session needs the user
                    token = RefreshToken.new(Owner.user(user.user_id))
                    await store.sessions.create(
                        token.ref,
                        client_id=self.seed.public,
                        scope="user",
                        digest=token.digest,
                        limits=session_limits(tokens),
                    )
                    out.append(token.value)
            finally:
                await store.close()
            return out

        path.write_text("\n".join(asyncio.run(make())) + "\n")
        return path

    def subject_token(self) -> str:
        """A user access token of the confidential client, from a real password grant."""
        s = self.seed
        status, body = post(
            self.port,
            {"grant_type": "password", "username": s.exchange_email, "password": s.password},
            {"Authorization": basic(s.confidential, s.confidential_secret)},
        )
        if status != 200:
            raise SystemExit(f"password grant for the subject token failed: {status} {body}")
        return str(body["access_token"])

    def cpu(self) -> tuple[float, float]:
        assert self.server is not None
        server = cpu_seconds(descendants(self.server.pid))
        assert self.redis.process is not None
        return server, cpu_seconds([self.redis.process.pid])


# --------------------------------------------------------------------------- wrk
class Workload:
    """One wrk invocation: a script and its arguments."""

    def __init__(self, name: str, script: str, args: list[str], connections: int) -> None:
        self.name, self.script, self.args, self.connections = name, script, args, connections

    def command(self, wrk: str, url: str, duration: float, threads: int) -> list[str]:
        return [
            wrk,
            f"-t{threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA / self.script),
            url,
            "--",
            *self.args,
        ]


def run_wrk(
    wrk: str, url: str, loads: list[Workload], duration: float, threads: int
) -> dict[str, dict[str, Any]]:
    """Run the workloads at once; each one's BENCH_JSON line, parsed."""
    env = {**os.environ, "BENCH_LUA_DIR": str(LUA)}
    procs = [
        (
            w,
            subprocess.Popen(  # noqa: S603
                w.command(wrk, url, duration, threads),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            ),
        )
        for w in loads
    ]
    out: dict[str, dict[str, Any]] = {}
    for w, proc in procs:
        try:
            stdout, stderr = proc.communicate(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        match = re.search(rb"^BENCH_JSON (.*)$", stdout, re.M)
        if not match:
            raise SystemExit(f"wrk ({w.name}) printed no result: {stderr.decode()[-500:]}")
        out[w.name] = json.loads(match.group(1))
    return out


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "ok": raw["ok"],
        "ok_per_s": round(raw["ok"] / seconds, 1),
        "errors": {k: v for k, v in raw.items() if k.startswith("status_") or k == "starved"}
        | {f"socket_{k}": v for k, v in raw["socket_errors"].items()},
        "latency_ms": {k: round(v / 1000, 2) for k, v in lat.items()},
        "seconds": round(seconds, 2),
    }


# --------------------------------------------------------------------------- the benchmarks
class Bench:
    def __init__(self, cfg: Config, system: System, wrk: str) -> None:
        self.cfg = cfg
        self.sys = system
        self.wrk = wrk
        self.url = f"http://127.0.0.1:{system.port}{TOKEN_PATH}"
        self._subject: str | None = None

    def workload(self, grant: str, connections: int, phase: str) -> Workload:
        s = self.sys.seed
        if grant == "refresh_token":
            tokens = self.sys.refresh_tokens(
                2 * connections, self.sys.tmp / f"refresh-{phase}-{time.monotonic_ns()}.txt"
            )
            return Workload(
                grant, "refresh.lua", [str(tokens), s.public, str(self.cfg.threads)], connections
            )
        if grant == "client_credentials_anonymous":
            body = f"grant_type=client_credentials&client_id={s.public}&scope=public-read"
            return Workload(grant, "static.lua", [body], connections)
        if grant == "client_credentials_integration":
            auth = basic(s.integration, s.integration_secret)
            return Workload(
                grant,
                "static.lua",
                ["grant_type=client_credentials&scope=integ", auth],
                connections,
            )
        if grant == "token_exchange":
            if self._subject is None:
                self._subject = self.sys.subject_token()
            body = urlencode(
                {
                    "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                    "subject_token": self._subject,
                    "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                    "scope": "trusted:user",
                }
            )
            auth = basic(s.confidential, s.confidential_secret)
            return Workload(grant, "static.lua", [body, auth], connections)
        if grant == "password":
            body = urlencode(
                {
                    "grant_type": "password",
                    "client_id": s.public,
                    "username": s.email,
                    "password": s.password,
                    "scope": "user",
                }
            )
            return Workload(grant, "static.lua", [body], connections)
        if grant == "flood_wrong_secret":
            return Workload(grant, "flood_secret.lua", [s.integration], connections)
        if grant == "flood_unknown_user":
            return Workload(grant, "flood_password.lua", [s.public], connections)
        raise SystemExit(f"unknown grant {grant!r}")

    def measure(self, loads: list[Workload], duration: float) -> tuple[dict, float, float]:
        server0, redis0 = self.sys.cpu()
        results = run_wrk(self.wrk, self.url, loads, duration, self.cfg.threads)
        server1, redis1 = self.sys.cpu()
        return results, server1 - server0, redis1 - redis0

    def grant(self, grant: str) -> dict[str, Any]:
        c = self.cfg
        if c.warmup > 0:
            run_wrk(
                self.wrk,
                self.url,
                [self.workload(grant, c.connections, "warm")],
                c.warmup,
                c.threads,
            )
        load = self.workload(grant, c.connections, "measure")
        results, server_cpu, redis_cpu = self.measure([load], c.duration)
        out = summarize(results[grant])
        cpu = server_cpu + redis_cpu
        out.update(
            server_cpu_s=round(server_cpu, 2),
            redis_cpu_s=round(redis_cpu, 2),
            ok_per_cpu_s=round(out["ok"] / cpu, 1) if cpu else None,
            target_ok_per_cpu_s=TARGETS.get(grant),
        )
        return out

    def isolation(self) -> dict[str, Any]:
        """Refresh + anonymous alone, then beside a wrong-secret and an unknown-user flood."""
        c = self.cfg
        light = ["refresh_token", "client_credentials_anonymous"]
        half = max(1, c.connections // 2)
        solo, s_cpu, r_cpu = self.measure(
            [self.workload(g, half, "solo") for g in light], c.duration
        )
        floods = ["flood_wrong_secret", "flood_unknown_user"]
        loads = [self.workload(g, half, "flood") for g in light + floods]
        probe: dict[str, Any] = {}
        thread = threading.Thread(target=self._probe, args=(probe, c.duration), daemon=True)
        thread.start()
        during, fs_cpu, fr_cpu = self.measure(loads, c.duration)
        thread.join(c.duration + 30)
        out: dict[str, Any] = {"connections_each": half, "light": {}, "floods": {}}
        for g in light:
            a, b = summarize(solo[g]), summarize(during[g])
            out["light"][g] = {
                "solo": a,
                "during_flood": b,
                "rate_kept": round(b["ok_per_s"] / a["ok_per_s"], 3) if a["ok_per_s"] else None,
                "p99_ratio": round(b["latency_ms"]["p99"] / a["latency_ms"]["p99"], 2)
                if a["latency_ms"]["p99"]
                else None,
            }
        for g in floods:
            out["floods"][g] = summarize(during[g])
        out["shed_probe"] = probe
        out["cpu_s"] = {
            "solo": {"server": round(s_cpu, 2), "redis": round(r_cpu, 2)},
            "during_flood": {"server": round(fs_cpu, 2), "redis": round(fr_cpu, 2)},
        }
        out["worker_peak_rss_mib"] = {
            str(pid): round(peak_rss_mib(pid), 1) for pid in self.sys.worker_pids
        }
        self.drain()
        return out

    def drain(self, limit: float = 30.0) -> None:
        """Wait (bounded) until queued flood requests are done: the service's CPU goes quiet."""
        deadline = time.monotonic() + limit
        last = self.sys.cpu()[0]
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.sys.cpu()[0]
            if now - last < 0.05:
                return
            last = now

    def _probe(self, out: dict[str, Any], duration: float) -> None:
        """During the flood: latency of wrong-secret answers, split by status (bounded)."""
        time.sleep(min(1.0, duration / 4))
        s = self.sys.seed
        by_status: dict[int, list[float]] = {}
        deadline = time.monotonic() + duration * 0.6
        sent = 0
        while time.monotonic() < deadline and sent < self.cfg.probe_requests:
            started = time.perf_counter()
            try:
                status, _ = post(
                    self.sys.port,
                    {"grant_type": "client_credentials", "scope": "integ"},
                    {
                        "Authorization": basic(s.integration, f"wrong-{sent}"),
                        "X-Forwarded-For": f"10.99.{sent // 250}.{sent % 250 + 1}",
                    },
                )
            except OSError:
                status = 0
            by_status.setdefault(status, []).append((time.perf_counter() - started) * 1000)
            sent += 1
        for status, times in sorted(by_status.items()):
            times.sort()
            out[str(status)] = {
                "count": len(times),
                "p50_ms": round(times[len(times) // 2], 2),
                "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                "max_ms": round(times[-1], 2),
            }

    # ------------------------------------------------------------------ Redis cost
    def commands(self, per_grant: int = 100) -> dict[str, Any]:
        """Redis round trips (top-level commands) and all commands per request, per grant.

        MONITOR tells a client's command from one run inside a script ("[0 lua]"), and
        INFO commandstats gives the totals over the same known number of requests.
        """
        out: dict[str, Any] = {}
        s = self.sys.seed
        for grant in self.cfg.grants:
            n = 10 if grant == "password" else per_grant
            requests = self._requests(grant, n)
            self.sys.redis.command("CONFIG", "RESETSTAT")
            monitor = Monitor(self.sys.redis.port)
            monitor.start()
            ok = 0
            for body, headers in requests:
                status, answer = post(self.sys.port, body, headers)
                ok += status == 200
                if grant == "refresh_token" and status == 200:
                    pass
            monitor.stop()
            stats = commandstats(self.sys.redis.port)
            stats.pop("config|resetstat", None)
            stats.pop("monitor", None)
            total = sum(stats.values())
            out[grant] = {
                "requests": n,
                "ok": ok,
                "client_commands_per_request": round(monitor.client_commands / n, 2),
                "commands_per_request": round(total / n, 2),
                "client_commands": dict(sorted(monitor.by_command.items())),
                "commandstats": dict(sorted(stats.items())),
            }
        del s
        return out

    def _requests(self, grant: str, n: int) -> list[tuple[dict[str, str], dict[str, str]]]:
        s = self.sys.seed
        if grant == "refresh_token":
            path = self.sys.refresh_tokens(n, self.sys.tmp / "refresh-commands.txt")
            return [
                ({"grant_type": "refresh_token", "client_id": s.public, "refresh_token": t}, {})
                for t in path.read_text().split()
            ]
        load = self.workload(grant, 1, "commands")
        body = dict(_parse_form(load.args[0]))
        headers = {"Authorization": load.args[1]} if len(load.args) > 1 else {}
        return [(body, headers)] * n

    def memory(self) -> dict[str, Any]:
        """Bytes of Redis memory per live session: one session per owner (the worst case: each
        pays for its owner's index key alone) and three per owner (web, phone, tablet)."""
        one = self._memory(per_owner=1)
        three = self._memory(per_owner=3)
        return {**one, "three_per_owner": three}

    def _memory(self, per_owner: int) -> dict[str, Any]:
        """100k create_session calls, pipelined, then one rotation each; keys removed after."""
        import redis as redis_sync

        from service.store.redis.runner import lua as _lua

        n = self.cfg.sessions
        r = redis_sync.Redis(port=self.sys.redis.port)
        create = r.register_script(_lua("create_session"))
        refresh = r.register_script(_lua("refresh_session"))
        tokens = TokenSettings()
        r.execute_command("MEMORY", "PURGE")
        before = int(r.info("memory")["used_memory"])
        made: list[RefreshToken] = []
        pipe = r.pipeline(transaction=False)
        owners = [Owner.user(str(uuid.uuid4())) for _ in range((n + per_owner - 1) // per_owner)]
        for i in range(n):
            t = RefreshToken.new(owners[i // per_owner])
            made.append(t)
            keys = [f"th:s:{{{t.owner}}}:{t.sid}", f"th:sessions:{{{t.owner}}}"]
            args = [
                t.sid,
                self.sys.seed.public,
                "user",
                t.digest,
                tokens.refresh_idle_ttl * 1000,
                tokens.refresh_max_ttl * 1000,
                f"th:s:{{{t.owner}}}:",
                tokens.max_sessions,
            ]
            create(keys=keys, args=args, client=pipe)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        created = int(r.info("memory")["used_memory"])
        sample = made[0]
        sample_keys = [f"th:s:{{{sample.owner}}}:{sample.sid}", f"th:sessions:{{{sample.owner}}}"]
        fresh_usage = [int(r.memory_usage(k, samples=0) or 0) for k in sample_keys]
        # rotate every session once: a refreshed session also keeps prev (and, for the grace
        # window only, its grace key)
        for i, t in enumerate(made):
            succ = RefreshToken.new(t.owner, t.sid)
            keys = [
                f"th:s:{{{t.owner}}}:{t.sid}",
                f"th:sessions:{{{t.owner}}}",
                f"th:g:{{{t.owner}}}:{t.sid}",
            ]
            args = [
                t.sid,
                t.digest,
                self.sys.seed.public,
                succ.digest,
                t.wrap(succ),
                GRACE_MS,  # short, so the steady state after the window can be measured too
                tokens.refresh_idle_ttl * 1000,
                "",
            ]
            refresh(keys=keys, args=args, client=pipe)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        in_grace = int(r.info("memory")["used_memory"])
        time.sleep(GRACE_MS / 1000 + 0.5)
        for i, t in enumerate(made):  # touching an expired key removes it at once
            pipe.exists(f"th:g:{{{t.owner}}}:{t.sid}")
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        rotated = int(r.info("memory")["used_memory"])
        rotated_usage = [int(r.memory_usage(k, samples=0) or 0) for k in sample_keys]
        for i, t in enumerate(made):
            pipe.delete(
                f"th:s:{{{t.owner}}}:{t.sid}",
                f"th:sessions:{{{t.owner}}}",
                f"th:g:{{{t.owner}}}:{t.sid}",
            )
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        r.close()
        return {
            "sessions": n,
            "owners": len(owners),
            "bytes_per_session_created": round((created - before) / n, 1),
            "bytes_per_session_rotated_in_grace_window": round((in_grace - before) / n, 1),
            "bytes_per_session_rotated": round((rotated - before) / n, 1),
            "memory_usage_sample_created": dict(
                zip(("session", "index"), fresh_usage, strict=True)
            ),
            "memory_usage_sample_rotated": dict(
                zip(("session", "index"), rotated_usage, strict=True)
            ),
            "target_bytes": 400,
        }


GRACE_MS = 2000


def _parse_form(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body)


def commandstats(port: int) -> dict[str, int]:
    import redis as redis_sync

    r = redis_sync.Redis(port=port)
    try:
        raw = r.info("commandstats")
    finally:
        r.close()
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in raw.items()}


class Monitor:
    """MONITOR on a raw socket: counts the commands clients send (not those run by scripts)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=0.2)
        self.sock.sendall(b"MONITOR\r\n")
        self.client_commands = 0
        self.by_command: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._buf = b""

    def start(self) -> None:
        self._thread.start()
        time.sleep(0.05)

    def _read(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                if self._stop.is_set():
                    break
                continue
            if not chunk:
                break
            self._buf += chunk
            *lines, self._buf = self._buf.split(b"\r\n")
            for line in lines:
                m = re.match(rb'^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"', line)
                if m and m.group(1) != b"lua":
                    name = m.group(2).decode().lower()
                    if name in ("config", "info", "monitor"):
                        continue
                    self.client_commands += 1
                    self.by_command[name] = self.by_command.get(name, 0) + 1

    def stop(self) -> None:
        time.sleep(0.2)
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def calibrate(cfg: Config, wrk: str) -> dict[str, Any]:
    """The same wrk load against a bare aiohttp + uvloop server (tests/bench/bare.py)."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.bench.bare", str(port), str(cfg.workers)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                status, _ = post(port, {"grant_type": "client_credentials"})
                if status == 200 and len(descendants(proc.pid)) > cfg.workers:
                    break
            except OSError:
                time.sleep(0.1)
        load = Workload("bare", "static.lua", ["grant_type=client_credentials"], cfg.connections)
        url = f"http://127.0.0.1:{port}{TOKEN_PATH}"
        if cfg.warmup > 0:
            run_wrk(wrk, url, [load], cfg.warmup, cfg.threads)
        before = cpu_seconds(descendants(proc.pid))
        raw = run_wrk(wrk, url, [load], cfg.duration, cfg.threads)["bare"]
        cpu = cpu_seconds(descendants(proc.pid)) - before
    finally:
        stop_tree(proc)
    out = summarize(raw)
    out.update(server_cpu_s=round(cpu, 2), ok_per_cpu_s=round(out["ok"] / cpu, 1) if cpu else None)
    return out


# --------------------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def print_table(grants: dict[str, Any]) -> None:
    head = f"{'grant':34} {'ok/s':>8} {'p50':>7} {'p90':>7} {'p99':>7} {'srv cpu':>8} {'redis':>6} {'ok/cpu-s':>9} {'target':>7} {'errors':>7}"
    print(head)
    print("-" * len(head))
    for name, r in grants.items():
        lat = r["latency_ms"]
        errors = sum(v for k, v in r["errors"].items())
        print(
            f"{name:34} {r['ok_per_s']:8.1f} {lat['p50']:7.2f} {lat['p90']:7.2f} {lat['p99']:7.2f} "
            f"{r['server_cpu_s']:8.2f} {r['redis_cpu_s']:6.2f} {r['ok_per_cpu_s'] or 0:9.1f} "
            f"{r['target_ok_per_cpu_s'] or '':>7} {errors:7d}"
        )


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grants = report.get("grants", {})
    if not grants:
        return
    names = list(grants)
    values = [grants[n]["ok_per_cpu_s"] or 0 for n in names]
    targets = [TARGETS.get(n, 0) for n in names]
    p99 = [grants[n]["latency_ms"]["p99"] for n in names]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    xs = range(len(names))
    ax1.bar(xs, values, color="#3b7dd8", label="measured")
    ax1.scatter(xs, targets, marker="_", s=900, color="#d83b3b", label="target", zorder=3)
    ax1.set_xticks(list(xs), [n.replace("client_credentials_", "cc_") for n in names], rotation=20)
    ax1.set_yscale("log")
    ax1.set_ylabel("successful responses per CPU-second (server + Redis)")
    ax1.legend()
    ax2.bar(xs, p99, color="#7a58c2")
    ax2.set_xticks(list(xs), [n.replace("client_credentials_", "cc_") for n in names], rotation=20)
    ax2.set_ylabel("p99 latency, ms")
    m = report["machine"]
    fig.suptitle(
        f"tokenhouse, {report['config']['workers']} workers, {m['nproc']} cores ({m['cpu_model']}), "
        f"wrk {report['config']['connections']} connections, {report['config']['duration']} s"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _terminated(signum: int, _: Any) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop the servers we started


def main() -> int:
    signal.signal(signal.SIGTERM, _terminated)
    cfg = Config()
    wrk = ensure_wrk()
    have_plot = ensure_matplotlib()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "duration": cfg.duration,
            "warmup": cfg.warmup,
            "connections": cfg.connections,
            "wrk_threads": cfg.threads,
            "workers": cfg.workers,
            "variant": cfg.variant or None,
            "env": "production (config/production.toml), host 127.0.0.1, proxy_hops 1, log info",
            "argon2id": "m=19456 KiB, t=2, p=1 (defaults.toml)",
            "redis": "redis-server on loopback, appendonly no, save '' (no persistence)",
        },
    }
    if "calibrate" in cfg.parts:
        print("== calibration: bare aiohttp + uvloop, fixed JSON answer", flush=True)
        report["calibration"] = calibrate(cfg, wrk)
        cal = report["calibration"]
        print(f"bare server: {cal['ok_per_s']} ok/s, {cal['ok_per_cpu_s']} ok/CPU-s", flush=True)
    with tempfile.TemporaryDirectory(prefix="tokenhouse-bench-") as tmp:
        system = System(cfg, Path(tmp))
        try:
            system.start()
            report["config"]["overrides"] = system.overrides
            bench = Bench(cfg, system, wrk)
            if "grants" in cfg.parts:
                report["grants"] = {}
                for grant in cfg.grants:
                    print(f"== {grant}", flush=True)
                    report["grants"][grant] = bench.grant(grant)
                print_table(report["grants"])
            if "isolation" in cfg.parts:
                print("== isolation: refresh + anonymous, alone then beside two floods", flush=True)
                report["isolation"] = bench.isolation()
                print(json.dumps(report["isolation"]["light"], indent=1)[:3000])
            if "commands" in cfg.parts:
                print("== Redis commands per grant", flush=True)
                report["redis_commands"] = bench.commands()
                for g, r in report["redis_commands"].items():
                    print(
                        f"{g:34} client commands {r['client_commands_per_request']:5.2f}  "
                        f"commands {r['commands_per_request']:6.2f}  ok {r['ok']}/{r['requests']}"
                    )
            if "memory" in cfg.parts:
                print(f"== Redis memory per session ({cfg.sessions} sessions)", flush=True)
                report["redis_memory"] = bench.memory()
                print(json.dumps(report["redis_memory"]))
            report["log_bytes"] = system.log_path.stat().st_size
        finally:
            system.stop()
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    name = "bench" + (f"-{cfg.tag}" if cfg.tag else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    if have_plot and "grants" in report:
        chart(report, RESULTS / f"{name}.png")
    print(f"results: {RESULTS / name}.json ({report['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
