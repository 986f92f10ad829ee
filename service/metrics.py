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

from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

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


class Metrics:
    """The service's metrics: a store observer, a session-event subscriber, a request observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "tokenhouse_requests",
            "Requests to the OAuth endpoints by outcome (ok or the OAuth error code)",
            ["endpoint", "grant", "outcome", "client_kind"],
            registry=r,
        )
        self.duration = Histogram(
            "tokenhouse_request_duration_seconds",
            "Latency of the OAuth endpoints, seconds",
            ["endpoint", "grant"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
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
        self._request_children: dict[tuple[str, str, str, str], Any] = {}
        self._duration_children: dict[tuple[str, str], Any] = {}
        self._redis_children: dict[str, Any] = {}
        self._redis_error_children: dict[str, Any] = {}

    def bind_hasher(self, hasher: SecretHasher) -> None:
        hasher.on_wait = self.argon2_wait.observe
        self.registry.register(_HasherCollector(hasher))

    # hooks --------------------------------------------------------------------------------
    def observe(self, endpoint: str, ctx: RequestContext, outcome: str, latency: float) -> None:
        """Called by the request middleware after each OAuth request with the request's
        context: grant_type and client_kind are what the OAuth layer noted there."""
        grant = ctx.grant_type or "none"
        kind = ctx.client_kind or "none"
        key = (endpoint, grant, outcome, kind)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(*key)
        child.inc()
        dkey = (endpoint, grant)
        hist = self._duration_children.get(dkey)
        if hist is None:
            hist = self._duration_children[dkey] = self.duration.labels(*dkey)
        hist.observe(latency)

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
