"""GET /metrics: Prometheus text from a registry of the app's own, fed by the request path,
the store, the argon2 pool and the session scripts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.crypto.hashing import SecretHasher
from service.errors import Overloaded
from service.metrics import METRICS, Metrics
from service.settings import HashingSettings

from ..conftest import make_settings
from ..factories import make_client, make_user, store_of
from ..flows import INVALID_GRANT, TOKEN, UNAVAILABLE, anonymous, login, post, refresh, revoke
from ..listeners import admin_of, serve_both
from ..redis_proc import free_port
from .prom import metric_sum, parse_metrics

pytestmark = pytest.mark.integration

NAMES = (
    "tokenhouse_requests_total",
    "tokenhouse_request_duration_seconds",
    "tokenhouse_argon2_queue_depth",
    "tokenhouse_argon2_wait_seconds",
    "tokenhouse_argon2_shed_total",
    "tokenhouse_redis_errors_total",
    "tokenhouse_redis_duration_seconds",
    "tokenhouse_sessions_created_total",
    "tokenhouse_sessions_rotated_total",
    "tokenhouse_sessions_revoked_total",
    "tokenhouse_refresh_reuse_detected_total",
)

Factory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_app(aiohttp_client: Any, redis_url: str, signing_key: Any) -> Factory:
    async def factory(**sections: dict[str, Any]) -> TestClient:
        redis = {"url": redis_url, **sections.pop("redis", {})}
        return await serve_both(
            aiohttp_client, create_app(make_settings(redis=redis, **sections), signing=signing_key)
        )

    return factory


async def scrape(http: TestClient) -> dict[str, float]:
    """The metrics of the app behind ``http``, from its admin listener."""
    resp = await admin_of(http).get("/metrics")
    assert resp.status == 200
    return parse_metrics(await resp.text())


async def test_metrics_endpoint_serves_every_series_as_prometheus_text(make_app: Factory) -> None:
    """/metrics answers Prometheus text that declares every documented metric name."""
    http = await make_app()

    resp = await admin_of(http).get("/metrics")
    text = await resp.text()

    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    declared = {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    } | {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    for name in NAMES:
        assert name in declared, name


async def test_two_apps_in_one_process_keep_separate_registries(make_app: Factory) -> None:
    """Each app counts its own requests: a second app in the process starts from zero."""
    first = await make_app()
    second = await make_app()
    client = await make_client(store_of(first))
    await anonymous(first, client.client_id)

    samples_first = await scrape(first)
    samples_second = await scrape(second)

    assert first.server.app[METRICS] is not second.server.app[METRICS]
    assert metric_sum(samples_first, "tokenhouse_requests_total") == 1
    assert metric_sum(samples_second, "tokenhouse_requests_total") == 0


async def test_requests_are_counted_by_endpoint_grant_outcome_and_client_kind(
    make_app: Factory,
) -> None:
    """Each OAuth request adds one to its {endpoint, grant, outcome, client_kind} series."""
    http = await make_app()
    store = store_of(http)
    client = await make_client(store)
    user = await make_user(store, password="pw-right")

    assert (await login(http, client.client_id, user.email, "pw-right"))[0] == 200
    status, body = await login(http, client.client_id, user.email, "pw-wrong")
    assert (status, body) == (
        401,
        {**INVALID_GRANT, "error_description": "Invalid username or password."},
    )
    assert (await anonymous(http, client.client_id))[0] == 200
    assert (await post(http, TOKEN, {"grant_type": "magic"}))[0] == 400
    samples = await scrape(http)

    def requests(**labels: str) -> float:
        return metric_sum(samples, "tokenhouse_requests_total", **labels)

    assert (
        requests(endpoint="token", grant="password", outcome="ok", client_kind="marketplace") == 1
    )
    assert (
        requests(
            endpoint="token", grant="password", outcome="invalid_grant", client_kind="marketplace"
        )
        == 1
    )
    assert (
        requests(
            endpoint="token", grant="client_credentials", outcome="ok", client_kind="marketplace"
        )
        == 1
    )
    assert (
        requests(
            endpoint="token", grant="none", outcome="unsupported_grant_type", client_kind="none"
        )
        == 1
    )
    assert (
        metric_sum(
            samples, "tokenhouse_request_duration_seconds_count", endpoint="token", grant="password"
        )
        == 2
    )
    assert (
        metric_sum(
            samples,
            "tokenhouse_request_duration_seconds_bucket",
            endpoint="token",
            grant="password",
            le="2.5",
        )
        == 2
    )
    assert metric_sum(samples, "tokenhouse_argon2_wait_seconds_count") == 2


async def test_session_counters_follow_create_rotate_revoke_and_reuse(make_app: Factory) -> None:
    """Sessions created, rotated, revoked and reuse detections are each counted once."""
    http = await make_app(tokens={"refresh_grace": 0})
    store = store_of(http)
    client = await make_client(store, secret="s3cret")
    user = await make_user(store, password="pw")
    first = (await login(http, client.client_id, user.email, "pw"))[1]
    second = (await login(http, client.client_id, user.email, "pw"))[1]

    status, rotated = await refresh(http, client.client_id, first["refresh_token"])
    assert status == 200
    assert await refresh(http, client.client_id, first["refresh_token"]) == (401, INVALID_GRANT)
    assert (await revoke(http, client.client_id, "s3cret", second["refresh_token"]))[0] == 200
    samples = await scrape(http)

    assert samples["tokenhouse_sessions_created_total"] == 2
    assert samples["tokenhouse_sessions_rotated_total"] == 1
    assert samples["tokenhouse_refresh_reuse_detected_total"] == 1
    assert samples["tokenhouse_sessions_revoked_total"] == 2


async def test_redis_latency_is_observed_per_operation(make_app: Factory) -> None:
    """Successful store calls land in tokenhouse_redis_duration_seconds{op} and no error."""
    http = await make_app()
    client = await make_client(store_of(http))
    user = await make_user(store_of(http), password="pw")

    assert (await login(http, client.client_id, user.email, "pw"))[0] == 200
    samples = await scrape(http)

    assert metric_sum(samples, "tokenhouse_redis_duration_seconds_count", op="create_session") == 1
    assert metric_sum(samples, "tokenhouse_redis_duration_seconds_count", op="get_client") == 1
    assert metric_sum(samples, "tokenhouse_redis_errors_total") == 0


async def test_redis_errors_are_counted_per_operation(
    aiohttp_client: Any, signing_key: Any
) -> None:
    """A Redis that does not answer gives 503 and one tokenhouse_redis_errors_total{op}."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(make_settings(redis={"url": dead}), signing=signing_key)
    http = await serve_both(aiohttp_client, app)

    status, body = await anonymous(http, "no-such-client")
    samples = await scrape(http)

    assert (status, body) == (503, UNAVAILABLE)
    assert metric_sum(samples, "tokenhouse_redis_errors_total", op="get_client") == 1
    assert metric_sum(samples, "tokenhouse_requests_total", outcome="temporarily_unavailable") == 1


async def test_argon2_shed_and_queue_depth_are_read_from_the_hasher() -> None:
    """Verifications past the queue bound count as shed; depth counts waiting + running."""
    hasher = SecretHasher(
        HashingSettings(time_cost=3, memory_cost=19456, max_concurrency=1, max_queue=2)
    )
    metrics = Metrics()
    metrics.bind_hasher(hasher)
    encoded = hasher.hash("pw")
    try:
        tasks = [asyncio.create_task(hasher.verify(encoded, "pw")) for _ in range(5)]
        await asyncio.sleep(0)
        during = parse_metrics(metrics.render().decode())
        results = await asyncio.gather(*tasks, return_exceptions=True)
        after = parse_metrics(metrics.render().decode())
    finally:
        hasher.close()

    assert [r if isinstance(r, bool) else type(r) for r in results] == [
        True,
        True,
        True,
        Overloaded,
        Overloaded,
    ]
    assert during["tokenhouse_argon2_queue_depth"] == 3
    assert after["tokenhouse_argon2_queue_depth"] == 0
    assert after["tokenhouse_argon2_shed_total"] == 2
    assert after["tokenhouse_argon2_wait_seconds_count"] == 3
