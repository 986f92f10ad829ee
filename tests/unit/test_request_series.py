"""The request metrics kept as plain numbers expose exactly what prometheus_client's Counter and
Histogram would for the same requests (names, labels, buckets, sums)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from service.context import RequestContext
from service.metrics import REQUEST_BUCKETS, Metrics, RequestSeries

LABELS = st.sampled_from(["token", "revoke"]), st.sampled_from(["password", "none"])
OUTCOMES = st.sampled_from(["ok", "invalid_grant", "cancelled"])
KINDS = st.sampled_from(["marketplace", "none"])
# bounds themselves, values between them, zero and beyond the last bucket
LATENCIES = st.one_of(
    st.sampled_from((0.0, *REQUEST_BUCKETS, 9.0)),
    st.floats(min_value=0.0, max_value=5.0, allow_nan=False),
)
REQUEST = st.tuples(*LABELS, OUTCOMES, KINDS, LATENCIES)


def reference(requests: list[tuple[str, str, str, str, float]]) -> bytes:
    registry = CollectorRegistry()
    counter = Counter(
        "tokenhouse_requests",
        "Requests to the OAuth endpoints by outcome (ok or the OAuth error code)",
        ["endpoint", "grant", "outcome", "client_kind"],
        registry=registry,
    )
    histogram = Histogram(
        "tokenhouse_request_duration_seconds",
        "Latency of the OAuth endpoints, seconds",
        ["endpoint", "grant"],
        buckets=REQUEST_BUCKETS,
        registry=registry,
    )
    for endpoint, grant, outcome, kind, seconds in requests:
        counter.labels(endpoint, grant, outcome, kind).inc()
        histogram.labels(endpoint, grant).observe(seconds)
    return generate_latest(registry)


def ours(requests: list[tuple[str, str, str, str, float]]) -> bytes:
    registry = CollectorRegistry()
    series = RequestSeries(REQUEST_BUCKETS)
    registry.register(series)
    for request in requests:
        series.observe(*request)
    return generate_latest(registry)


def without_created(text: bytes) -> list[str]:
    """prometheus_client adds a ``_created`` timestamp per series: not a measurement."""
    return [line for line in text.decode().splitlines() if "_created" not in line]


def sample_lines(text: bytes) -> list[str]:
    return sorted(line for line in without_created(text) if not line.startswith("#"))


@settings(max_examples=200, deadline=None)
@given(st.lists(REQUEST, max_size=30))
def test_the_same_exposition_as_prometheus_client(requests):
    assert sample_lines(ours(requests)) == sample_lines(reference(requests))


def test_the_same_help_and_type_lines():
    requests = [("token", "password", "ok", "marketplace", 0.003)]
    meta = [line for line in without_created(ours(requests)) if line.startswith("#")]
    assert meta == [line for line in without_created(reference(requests)) if line.startswith("#")]


def test_a_latency_on_a_bucket_bound_counts_in_that_bucket():
    series = RequestSeries(REQUEST_BUCKETS)
    series.observe("token", "password", "ok", "marketplace", 0.005)
    text = ours([("token", "password", "ok", "marketplace", 0.005)]).decode()
    assert 'le="0.0025"} 0.0' in text and 'le="0.005"} 1.0' in text
    assert series.latencies[("token", "password")][-1] == 0.005


def test_the_middleware_hook_reads_grant_and_kind_from_the_request_context():
    metrics = Metrics()
    ctx = RequestContext("r1", grant_type="refresh_token", client_kind="integration")
    metrics.observe("token", ctx, "ok", 0.002)
    metrics.observe("token", RequestContext("r2"), "invalid_request", 0.001)
    text = metrics.render().decode()
    assert (
        'tokenhouse_requests_total{client_kind="integration",endpoint="token",'
        'grant="refresh_token",outcome="ok"} 1.0' in text
    )
    assert (
        'tokenhouse_requests_total{client_kind="none",endpoint="token",grant="none",'
        'outcome="invalid_request"} 1.0' in text
    )
    assert 'tokenhouse_request_duration_seconds_count{endpoint="token",grant="none"} 1.0' in text
