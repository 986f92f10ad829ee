"""The marketplace mix, open loop: latency per grant at a fixed offered rate.

About 70 % anonymous client_credentials, 25 % refresh_token (chained: every refresh presents
the token the previous one of its session returned), 4 % token_exchange and 1 % password,
sent on a fixed schedule (``openloop.py``) at ``MIX_LOAD`` (0.7) of the mix's capacity, for
``MIX_SECONDS`` (20) after ``MIX_WARMUP`` (3) seconds. The capacity comes from a comparison
run's per-grant answers per second (``--capacity-from tokenhouse.json``: the mix's capacity
is the weighted harmonic mean) or is given as ``MIX_RATE`` (requests a second, the rate
itself). The system is the bench's (tests/bench/run.py): ``serve --workers 2`` in production
configuration, with a Redis of its own with AOF ``appendfsync always`` as in production.
Writes tests/bench/results/mix.json and mix.png (latency by percentile per grant).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import tempfile
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tests.bench.openloop import OpenLoop
from tests.bench.run import RESULTS, Config, System, basic, cpu_seconds, descendants
from tests.redis_proc import RedisProcess

MIX = {"anonymous": 0.70, "refresh_token": 0.25, "token_exchange": 0.04, "password": 0.01}
LIGHT = ("anonymous", "refresh_token", "token_exchange")
P99_TARGET_MS = 25.0
# compare.sh's grant names for the per-grant capacities
COMPARE_NAMES = {"anonymous": "cc_public", "refresh_token": "refresh",
                 "token_exchange": "token_exchange", "password": "password"}  # fmt: skip
REFRESH_RE = re.compile(rb'"refresh_token":"([^"]+)"')


def capacity(path: Path) -> float:
    """Requests a second the mix could get: the weighted harmonic mean of the grants' rates."""
    rates = {r["grant"]: r.get("ok_per_s") or 0.0 for r in json.loads(path.read_text())}
    return 1 / sum(w / rates[COMPARE_NAMES[g]] for g, w in MIX.items())


def request(port: int, body: str, auth: str | None = None) -> bytes:
    head = (
        f"POST /v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        + (f"Authorization: {auth}\r\n" if auth else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return (head + body).encode()


class Traffic:
    """The requests of each grant, and the refresh tokens handed from answer to request."""

    def __init__(self, system: System, sessions: int) -> None:
        s, port = system.seed, system.port
        tokens = system.refresh_tokens(sessions, system.tmp / "mix-refresh.txt")
        self.pool: deque[str] = deque(tokens.read_text().split())
        self.port, self.public = port, s.public
        self.static = {
            "anonymous": request(
                port, f"grant_type=client_credentials&client_id={s.public}&scope=public-read"
            ),
            "password": request(
                port,
                urlencode(
                    {
                        "grant_type": "password",
                        "client_id": s.public,
                        "username": s.email,
                        "password": s.password,
                        "scope": "user",
                    }
                ),
            ),  # fmt: skip
            "token_exchange": request(
                port,
                urlencode(
                    {
                        "grant_type": "token_exchange",
                        "subject_token": system.subject_token(),
                        "scope": "trusted:user",
                    }
                ),
                basic(s.confidential, s.confidential_secret),
            ),  # fmt: skip
        }
        rng = random.Random(7)  # the same sequence every run
        grants, weights = list(MIX), list(MIX.values())
        self.sequence = rng.choices(grants, weights, k=100_000)

    def pick(self, i: int) -> str:
        return self.sequence[i % len(self.sequence)]

    def build(self, grant: str) -> bytes | None:
        if grant != "refresh_token":
            return self.static[grant]
        if not self.pool:
            return None
        token = self.pool.popleft()
        body = f"grant_type=refresh_token&client_id={self.public}&refresh_token={quote(token)}"
        return request(self.port, body)

    def seen(self, grant: str, status: int, body: bytes) -> None:
        if grant == "refresh_token" and status == 200:
            match = REFRESH_RE.search(body)
            if match:
                self.pool.append(match.group(1).decode())


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    at = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p99.9": 0.999}
    out = {k: ordered[min(len(ordered) - 1, int(q * len(ordered)))] for k, q in at.items()}
    out["max"] = ordered[-1]
    return {k: round(v, 2) for k, v in out.items()}


async def drive(
    system: System, traffic: Traffic, rate: float, seconds: float, warmup: float
) -> dict[str, Any]:
    gen = OpenLoop("127.0.0.1", system.port, rate=rate, connections=64,
                   pick=traffic.pick, build=traffic.build, seen=traffic.seen)  # fmt: skip
    await gen.open()
    try:
        await gen.run(warmup, record=False)
        server0, redis0 = system.cpu()
        own0 = sum(os.times()[:2])
        took = await gen.run(seconds, record=True)
        own1 = sum(os.times()[:2])
        server1, redis1 = system.cpu()
    finally:
        gen.close()
    grants: dict[str, Any] = {}
    for grant in MIX:
        out = gen.outcomes.get(grant)
        if out is None:
            continue
        ok = len(out.latencies_ms)
        bad = sum(n for s, n in out.statuses.items() if not 200 <= s < 300)
        grants[grant] = {
            "sent": ok + bad + sum(out.errors.values()),
            "ok": ok,
            "statuses": {str(k): v for k, v in sorted(out.statuses.items())},
            "errors": out.errors,
            "latency_ms": percentiles(out.latencies_ms),
            "curve": curve(out.latencies_ms),
        }
    return {
        "rate": round(rate, 1),
        "seconds": round(took, 2),
        "server_cpu_s": round(server1 - server0, 2),
        "redis_cpu_s": round(redis1 - redis0, 2),
        # the load generator shares the machine's cores with the server and Redis
        "generator_cpu_s": round(own1 - own0, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "grants": grants,
    }


def curve(values: list[float]) -> list[list[float]]:
    """(percentile, ms) points for the chart, dense towards the tail."""
    if not values:
        return []
    ordered = sorted(values)
    qs = [1 - 10 ** (-k / 8) for k in range(0, 33)]  # 0 .. 99.99 %
    return [[round(q * 100, 4), round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)]
            for q in qs]  # fmt: skip


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    g = report["grants"]
    light = {k: g[k]["latency_ms"].get("p99") for k in LIGHT if k in g}
    errors = {k: v["sent"] - v["ok"] for k, v in g.items() if v["sent"] != v["ok"]}
    return {
        "p99_target_ms": P99_TARGET_MS,
        "light_p99_ms": light,
        "p99_met": all(v is not None and v <= P99_TARGET_MS for v in light.values()),
        "not_ok": errors,
        "no_errors": not errors,
    }


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for grant, data in report["grants"].items():
        points = data["curve"]
        if points:
            xs = [1 / max(1e-6, 1 - p / 100) for p, _ in points]
            ax.plot(
                xs, [ms for _, ms in points], label=f"{grant} (p99 {data['latency_ms']['p99']} ms)"
            )
    ax.axhline(P99_TARGET_MS, color="grey", linestyle="--", linewidth=1)
    ax.text(1.05, P99_TARGET_MS * 1.05, "p99 target of the light grants", color="grey", fontsize=8)
    ax.axvline(100, color="lightgrey", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([1, 2, 10, 100, 1000, 10000])
    ax.set_xticklabels(["0 %", "50 %", "90 %", "99 %", "99.9 %", "99.99 %"])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency from the scheduled send, ms")
    share = f" ({report['load']:.0%} of the capacity measured)" if report.get("capacity") else ""
    ax.set_title(f"Marketplace mix, open loop at {report['rate']:.0f} req/s{share}, 2 workers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--capacity-from", type=Path, help="compare.sh's tokenhouse.json")
    a = ap.parse_args()
    load = float(os.environ.get("MIX_LOAD", "0.7"))
    if os.environ.get("MIX_RATE"):
        rate, cap = float(os.environ["MIX_RATE"]), None
    elif a.capacity_from:
        cap = capacity(a.capacity_from)
        rate = load * cap
    else:
        raise SystemExit("give --capacity-from <compare's tokenhouse.json> or MIX_RATE")
    seconds = float(os.environ.get("MIX_SECONDS", "20"))
    warmup = float(os.environ.get("MIX_WARMUP", "3"))
    cfg = Config()
    cfg.workers = 2
    with tempfile.TemporaryDirectory(prefix="tokenhouse-mix-") as tmp:
        system = System(cfg, Path(tmp))
        system.redis = RedisProcess(Path(tmp) / "redis", "--appendonly", "yes",
                                    "--appendfsync", "always")  # fmt: skip
        try:
            system.start()
            traffic = Traffic(system, sessions=400)
            report = asyncio.run(drive(system, traffic, rate, seconds, warmup))
            assert system.server is not None
            report["workers"] = len(descendants(system.server.pid)) - 1
        finally:
            system.stop()
    report.update(load=load if cap else None, capacity=round(cap, 1) if cap else None)
    report["verdict"] = verdict(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = f"-{cfg.tag}" if cfg.tag else ""
    (RESULTS / f"mix{tag}.json").write_text(json.dumps(report, indent=1) + "\n")
    chart(report, RESULTS / f"mix{tag}.png")
    for grant, data in report["grants"].items():
        print(f"  {grant:15s} sent {data['sent']:6d} ok {data['ok']:6d} {data['latency_ms']} "
              f"{data['statuses']} {data['errors'] or ''}")  # fmt: skip
    print(f"mix at {report['rate']} req/s: {report['verdict']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["cpu_seconds"]
