"""`make profile`: where one worker's CPU goes per grant, sampled with py-spy under wrk load.

Starts the bench's system (tests/bench/run.py: its own redis-server, the service in production
configuration) with one worker, drives one grant at a time with wrk (32 connections) and has
``py-spy record`` sample the worker (the event loop and the argon2 threads) for the same
seconds. The samples are folded into: the share of samples by self frame (the function the CPU
was in), and by area (the module family: aiohttp, redis-py, structlog, our api/, ...).
Results: tests/bench/results/profile[-TAG].json, and a table on stdout.

Env: PROFILE_GRANTS (default refresh_token,client_credentials_anonymous), PROFILE_SECONDS (12),
PROFILE_RATE (samples per second, 250), BENCH_TAG.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from tests.bench.run import RESULTS, Bench, Config, System, ensure_wrk, run_wrk

AREAS = (  # the first match of a frame's file names its area
    ("service/api/", "tokenhouse api (parsing, middleware, responses)"),
    ("service/log", "tokenhouse log"),
    ("service/metrics", "tokenhouse metrics"),
    ("service/store/", "tokenhouse store"),
    ("service/crypto/", "tokenhouse crypto"),
    ("service/", "tokenhouse oauth and the rest"),
    ("(structlog/", "structlog"),
    ("(prometheus_client/", "prometheus_client"),
    ("(redis/", "redis-py"),
    ("(hiredis", "redis-py"),
    ("(aiohttp/", "aiohttp"),
    ("(multidict/", "aiohttp"),
    ("(yarl/", "aiohttp"),
    ("(jose/", "python-jose"),
    ("(cryptography/", "cryptography (signing)"),
    ("(argon2/", "argon2"),
    ("(asyncio/", "asyncio and uvloop's loop"),
    ("(uvloop/", "asyncio and uvloop's loop"),
)


def area(frame: str) -> str:
    for needle, name in AREAS:
        if needle in frame:
            return name
    return "other (stdlib, C)"


def fold(raw: Path, top: int = 15) -> dict[str, Any]:
    """py-spy's raw (collapsed) stacks: self-frame and area shares of the samples."""
    by_frame: collections.Counter[str] = collections.Counter()
    by_area: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        total += n
        by_frame[leaf] += n
        # the area of the innermost frame that is Python code of a known package
        named = next((f for f in reversed(frames) if area(f) != "other (stdlib, C)"), leaf)
        by_area[area(named)] += n
        for f in {f for f in frames if "(service/" in f}:  # ours, counted once per stack
            inclusive[f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")"] += n
    if not total:
        return {"samples": 0}

    def share(counter: collections.Counter[str], k: int) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(k)]

    return {
        "samples": total,
        "areas": share(by_area, 20),
        "self_top": share(by_frame, top),
        "ours_inclusive_top": share(inclusive, top),
    }


def profile_grant(bench: Bench, pyspy: str, grant: str, seconds: int, rate: int) -> dict:
    cfg, system = bench.cfg, bench.sys
    load = bench.workload(grant, cfg.connections, "profile")
    run_wrk(bench.wrk, bench.url, [bench.workload(grant, cfg.connections, "warm")], 2, 1)
    out = Path(tempfile.mkdtemp(prefix="profile-")) / f"{grant}.txt"  # kept for a closer look
    cmd = [pyspy, "record", "--pid", str(system.worker_pids[0]), "--rate", str(rate)]
    cmd += ["--duration", str(seconds), "--format", "raw", "--threads"]
    cmd += ["--output", str(out)]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    results: dict[str, Any] = {}

    def drive() -> None:
        results.update(run_wrk(bench.wrk, bench.url, [load], seconds, 1))

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    spy.wait(seconds + 60)
    thread.join(seconds + 60)
    summary = fold(out) if out.exists() else {"samples": 0, "error": spy.stderr.read().decode()}
    print(f"   raw stacks: {out}")
    summary["ok_per_s"] = round(results[grant]["ok"] / (results[grant]["duration_us"] / 1e6), 1)
    return summary


def main() -> int:
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
    cfg = Config()
    cfg.workers = 1
    grants = os.environ.get("PROFILE_GRANTS", "refresh_token,client_credentials_anonymous")
    seconds = int(os.environ.get("PROFILE_SECONDS", "12"))
    rate = int(os.environ.get("PROFILE_RATE", "250"))
    wrk = ensure_wrk()
    report: dict[str, Any] = {"seconds": seconds, "rate": rate, "grants": {}}
    with tempfile.TemporaryDirectory(prefix="tokenhouse-profile-") as tmp:
        system = System(cfg, Path(tmp))
        try:
            system.start()
            bench = Bench(cfg, system, wrk)
            for grant in [g for g in grants.split(",") if g]:
                report["grants"][grant] = g = profile_grant(bench, pyspy, grant, seconds, rate)
                print(f"== {grant}: {g.get('ok_per_s')} ok/s, {g['samples']} samples")
                for name, pct in g.get("areas", []):
                    print(f"   {pct:5.1f} %  {name}")
                for title, key in (("self", "self_top"), ("ours, inclusive", "ours_inclusive_top")):
                    print(f"   {title}:")
                    for name, pct in g.get(key, []):
                        print(f"   {pct:5.1f} %  {name[:110]}")
        finally:
            system.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = f"-{cfg.tag}" if cfg.tag else ""
    path = RESULTS / f"profile{tag}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
