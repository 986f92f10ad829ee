"""Schema-driven fuzzing of the live service from its own OpenAPI document (/openapi.yaml).

Every operation gets a bounded number of generated requests, valid and invalid by the schema;
some are steered onto real apps, users and tokens so the fuzzer reaches the grants and not only
client authentication. No answer may be a 5xx or differ from the documented status codes,
content types, headers and response schemas.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import basic_auth, make_client, make_user
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SECRET = "fuzz-secret-" + "k" * 32
PASSWORD = "fuzz password"


@dataclass(frozen=True)
class Seed:
    """Real apps, a user and live tokens to steer generated requests onto."""

    public: str
    confidential: str
    integration: str
    email: str
    refresh_token: str = ""  # a session of the public app
    access_token: str = ""  # a user token of the confidential app (a subject token)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, Seed]]:
    """A redis-server and the service process of this module, with seeded data."""
    directory = tmp_path_factory.mktemp("fuzz")
    redis = RedisProcess(directory / "redis").start()
    service = ServiceProcess(directory / "service", redis.url)
    try:
        seed = asyncio.run(_seed(redis.url))
        service.start()
        yield service, _sign_in(service, seed)
    finally:
        service.stop()
        redis.stop()


async def _seed(url: str) -> Seed:
    settings_ = make_settings(redis={"url": url})
    store = RedisBackend(connect(settings_.redis), settings_.redis.prefix, deadline=5.0)
    try:
        public = await make_client(store)
        confidential = await make_client(store, secret=SECRET)
        integration = await make_client(store, kind="integration", secret=SECRET)
        user = await make_user(store, email="fuzz@example.com", password=PASSWORD)
    finally:
        await store.close()
    return Seed(public.client_id, confidential.client_id, integration.client_id, user.email)


def _login(service: ServiceProcess, client_id: str, email: str) -> dict[str, Any]:
    form = urlencode(
        {"grant_type": "password", "client_id": client_id, "username": email, "password": PASSWORD}
    ).encode()
    request = urllib.request.Request(f"{service.url}/v1/auth/token", data=form)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        return json.loads(resp.read())


def _sign_in(service: ServiceProcess, seed: Seed) -> Seed:
    public = _login(service, seed.public, seed.email)
    confidential = _login(service, seed.confidential, seed.email)
    return replace(
        seed, refresh_token=public["refresh_token"], access_token=confidential["access_token"]
    )


DOCUMENT = Path(__file__).resolve().parents[2] / "service" / "api" / "openapi.yaml"

# The packaged document, loaded at collection (schemathesis' lazy fixture loader does not work
# with this pytest); the test below proves the live process serves exactly these bytes, and
# every generated request goes to the live process.
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
)


def steer(case: Any, seed: Seed) -> None:
    """Put real credentials and tokens into some generated form bodies (chosen by a digest of
    the body, so runs repeat)."""
    if not isinstance(case.body, dict):
        return
    body = case.body
    choice = hashlib.sha256(repr(sorted(body.items(), key=str)).encode()).digest()[0] % 5
    if choice == 1:
        body["client_id"] = seed.public
        if body.get("grant_type") == "password":
            body.update(username=seed.email, password=PASSWORD)
        if body.get("grant_type") == "refresh_token" or "token" in body:
            body["refresh_token" if "grant_type" in body else "token"] = seed.refresh_token
    elif choice == 2:
        body.update(client_id=seed.confidential, client_secret=SECRET)
        if "token" in body:
            body["token"] = seed.access_token
        elif "token_exchange" in body.get("grant_type", ""):
            body["subject_token"] = seed.access_token
    elif choice == 3:
        body.pop("client_id", None)
        body.pop("client_secret", None)
        case.headers = {
            **(case.headers or {}),
            "Authorization": basic_auth(seed.integration, SECRET),
        }
    elif choice == 4:
        body["client_id"] = seed.public


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_answers_as_documented(
    case: Any, live: tuple[ServiceProcess, Seed]
) -> None:
    """Generated requests: never a 5xx, always a documented status, type, header and body."""
    service, seed = live
    steer(case, seed)
    case.call_and_validate(base_url=service.url, checks=CHECKS, timeout=10)


def test_openapi_document_is_served_and_names_every_route(
    live: tuple[ServiceProcess, Seed],
) -> None:
    """GET /openapi.yaml serves the packaged document, which lists every route of the app."""
    import yaml

    from service.app import create_app

    service, _ = live
    status, raw = service.get("/openapi.yaml")
    document = yaml.safe_load(raw)
    loaded = schemathesis.openapi.from_url(f"{service.url}/openapi.yaml")
    app = create_app(make_settings(redis={"url": "redis://127.0.0.1:1/0"}))
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}

    assert status == 200
    assert raw == DOCUMENT.read_bytes()
    assert documented == routes
    assert loaded.raw_schema == document
