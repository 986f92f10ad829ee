"""Prometheus metrics: one CollectorRegistry per app, served at ``GET /metrics``.

Every series is per process. With ``serve --workers N`` each worker keeps its own registry and
a scrape of the shared port reaches one worker at random, so run one worker per pod (the
Kubernetes manifests do) and scrape every pod. Label values are bounded: endpoint is one of
four names, grant and client_kind come from fixed tables (``none`` before they are known),
outcome is ``ok``, an OAuth error code or ``cancelled`` (the client left first), op is a store
operation name. The session counters follow the events the grants report
(``oauth/outcomes.py``); the request counters read the typed request context.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from .context import RequestContext
from .crypto.hashing import SecretHasher
from .oauth.outcomes import SessionEvent

REQUEST_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5,
)  # fmt: skip
WAIT_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REDIS_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class _HasherCollector(Collector):
    """Queue depth and shed count read from SecretHasher.stats at scrape time."""

    def __init__(self, hasher: SecretHasher) -> None:
        self._hasher = hasher

    def collect(self) -> Iterator[Metric]:
        stats = self._hasher.stats
        yield GaugeMetricFamily(
            "tokenhouse_argon2_queue_depth",
            "argon2 verifications waiting for a slot or running",
            value=stats.waiting + stats.running,
        )
        yield CounterMetricFamily(
            "tokenhouse_argon2_shed",
            "argon2 verifications refused because the queue was full (answered 503)",
            value=stats.shed,
        )


def _go_float(value: float) -> str:
    """A bucket bound as prometheus_client writes it."""
    return str(floatToGoString(value))  # type: ignore[no-untyped-call]


class RequestSeries(Collector):
    """The request counter and latency histogram, kept as plain numbers and read at scrape time.

    They are updated once per OAuth request, on the event loop: prometheus_client's Counter and
    Histogram take a lock per value and walk the buckets on each observation, which measured at
    about 4 % of a light grant's CPU. The series (names, labels, buckets) are the same.
    """

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.bounds = tuple(sorted(buckets))
        self.counts: dict[tuple[str, str, str, str], int] = {}
        # per (endpoint, grant): a count per bucket (the last one +Inf only), then the sum
        self.latencies: dict[tuple[str, str], list[float]] = {}

    def observe(self, endpoint: str, grant: str, outcome: str, kind: str, seconds: float) -> None:
        key = (endpoint, grant, outcome, kind)
        self.counts[key] = self.counts.get(key, 0) + 1
        hist = self.latencies.get((endpoint, grant))
        if hist is None:
            hist = self.latencies[(endpoint, grant)] = [0] * (len(self.bounds) + 1) + [0.0]
        hist[bisect_left(self.bounds, seconds)] += 1  # the first bucket whose bound is >= it
        hist[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "tokenhouse_requests",
            "Requests to the OAuth endpoints by outcome (ok or the OAuth error code)",
            labels=["endpoint", "grant", "outcome", "client_kind"],
        )
        for labels, count in list(self.counts.items()):  # a snapshot: a scrape may run elsewhere
            requests.add_metric(list(labels), count)
        yield requests
        duration = HistogramMetricFamily(
            "tokenhouse_request_duration_seconds",
            "Latency of the OAuth endpoints, seconds",
            labels=["endpoint", "grant"],
        )
        edges = [_go_float(b) for b in self.bounds] + ["+Inf"]
        for series, hist in list(self.latencies.items()):
            cumulative = 0.0
            buckets: list[tuple[str, float]] = []
            for edge, hits in zip(edges, hist[:-1], strict=True):
                cumulative += hits
                buckets.append((edge, cumulative))
            duration.add_metric(list(series), buckets, sum_value=hist[-1])
        yield duration


class Metrics:
    """The service's metrics: a store observer, a session-event subscriber, a request observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = RequestSeries(REQUEST_BUCKETS)
        r.register(self.requests)
        self.argon2_wait = Histogram(
            "tokenhouse_argon2_wait_seconds",
            "Time an argon2 verification waited for a free slot, seconds",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.redis_errors = Counter(
            "tokenhouse_redis_errors", "Failed Redis operations", ["op"], registry=r
        )
        self.redis_duration = Histogram(
            "tokenhouse_redis_duration_seconds",
            "Latency of successful Redis operations, seconds",
            ["op"],
            buckets=REDIS_BUCKETS,
            registry=r,
        )
        self.sessions_created = Counter(
            "tokenhouse_sessions_created", "Sessions created (password, client_credentials)",
            registry=r,
        )  # fmt: skip
        self.sessions_rotated = Counter(
            "tokenhouse_sessions_rotated", "Refresh tokens rotated", registry=r
        )
        self.sessions_revoked = Counter(
            "tokenhouse_sessions_revoked",
            "Sessions ended by revocation (RFC 7009 or refresh-token reuse)",
            registry=r,
        )
        self.reuse_detected = Counter(
            "tokenhouse_refresh_reuse_detected",
            "Rotated refresh tokens presented after the grace window (session revoked)",
            registry=r,
        )
        # label children are looked up once per label set, then reused
        self._redis_children: dict[str, Any] = {}
        self._redis_error_children: dict[str, Any] = {}

    def bind_hasher(self, hasher: SecretHasher) -> None:
        hasher.on_wait = self.argon2_wait.observe
        self.registry.register(_HasherCollector(hasher))

    # hooks --------------------------------------------------------------------------------
    def observe(self, endpoint: str, ctx: RequestContext, outcome: str, latency: float) -> None:
        """Called by the request middleware after each OAuth request with the request's
        context: grant_type and client_kind are what the OAuth layer noted there."""
        self.requests.observe(
            endpoint, ctx.grant_type or "none", outcome, ctx.client_kind or "none", latency
        )

    def store_error(self, op: str) -> None:
        child = self._redis_error_children.get(op)
        if child is None:
            child = self._redis_error_children[op] = self.redis_errors.labels(op)
        child.inc()

    def store_latency(self, op: str, seconds: float) -> None:
        child = self._redis_children.get(op)
        if child is None:
            child = self._redis_children[op] = self.redis_duration.labels(op)
        child.observe(seconds)

    def session_event(self, event: SessionEvent) -> None:
        if event is SessionEvent.CREATED:
            self.sessions_created.inc()
        elif event is SessionEvent.ROTATED:
            self.sessions_rotated.inc()
        elif event is SessionEvent.REUSE_DETECTED:
            self.reuse_detected.inc()
            self.sessions_revoked.inc()
        elif event is SessionEvent.REVOKED:
            self.sessions_revoked.inc()

    # exposition ---------------------------------------------------------------------------
    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def handler(self, request: web.Request) -> web.Response:
        return web.Response(body=self.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


METRICS = web.AppKey("metrics", Metrics)

__all__ = ["METRICS", "Metrics"]
