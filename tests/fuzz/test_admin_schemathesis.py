"""Schema-driven fuzzing of the live admin listener from its own document (/admin/openapi.yaml).

Every operation gets a bounded number of generated requests, valid and invalid by the schema,
with the admin token (some without it); some are steered onto a real user, app, identity
provider and session so the fuzzer gets past 404. No answer may be a 5xx or differ from the
documented status codes, content types, headers and response schemas.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from ..admin_api import AdminHttp
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess, base_env, run_cli
from .test_schemathesis import CHECKS, MAX_EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PASSWORD = "fuzz password"


@dataclass(frozen=True)
class Seed:
    """A real admin token and records to steer generated requests onto."""

    token: str
    user_id: str
    client_id: str
    idp_id: str
    session_id: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, Seed]]:
    """A redis-server and the service process of this module, with seeded records."""
    directory = tmp_path_factory.mktemp("admin-fuzz")
    redis = RedisProcess(directory / "redis").start()
    service = ServiceProcess(directory / "service", redis.url)
    try:
        service.start()
        yield service, _seed(service, base_env(TOKENHOUSE_REDIS__URL=redis.url))
    finally:
        service.stop()
        redis.stop()


def _seed(service: ServiceProcess, env: dict[str, str]) -> Seed:
    token = run_cli(env, "admin-tokens", "create", "--name", "fuzz")["token"]
    admin = AdminHttp(service.admin_url, token)
    idp = {"id": "corp", "kind": "oidc", "issuer": "https://sso.example.com", "client_ids": ["a"]}
    assert admin.request("POST", "/admin/v1/idps", idp)[0] == 201
    _, app = admin.request("POST", "/admin/v1/apps", {"kind": "marketplace", "name": "fuzz"})
    body = {"email": "fuzz@example.com", "password": PASSWORD}
    _, user = admin.request("POST", "/admin/v1/users", body)
    form = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "username": "fuzz@example.com",
        "password": PASSWORD,
    }
    request = urllib.request.Request(  # noqa: S310
        f"{service.url}/v1/auth/token", data=urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        refresh = json.loads(resp.read())["refresh_token"]
    return Seed(token, user["id"], app["client_id"], "corp", refresh.rsplit(".", 1)[0])


DOCUMENT = Path(__file__).resolve().parents[2] / "service" / "api" / "admin_openapi.yaml"

schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
)


def steer(case: Any, seed: Seed) -> None:
    """The admin token on most requests; some path ids replaced by real ones (chosen by a
    digest of the request, so runs repeat). Deletions keep their generated ids."""
    choice = hashlib.sha256(repr((case.path_parameters, case.body)).encode()).digest()[0] % 4
    if choice != 0:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {seed.token}"}
    params = case.path_parameters or {}
    if choice >= 2 and case.method.upper() != "DELETE" and params:
        real = {
            "client_id": seed.client_id,
            "idp_id": seed.idp_id,
            "session_id": seed.session_id,
            "id": seed.idp_id if "/idps/" in case.path else seed.user_id,
        }
        case.path_parameters = {k: real.get(k, v) for k, v in params.items()}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_admin_operation_answers_as_documented(
    case: Any, live: tuple[ServiceProcess, Seed]
) -> None:
    """Generated requests: never a 5xx, always a documented status, type, header and body."""
    service, seed = live
    steer(case, seed)
    case.call_and_validate(base_url=service.admin_url, checks=CHECKS, timeout=10)


def test_the_admin_document_is_served_and_names_every_route(
    live: tuple[ServiceProcess, Seed],
) -> None:
    """GET /admin/openapi.yaml (with the token) serves the packaged document."""
    service, seed = live
    status, raw = AdminHttp(service.admin_url, seed.token).request("GET", "/admin/openapi.yaml")

    assert status == 200
    assert raw == DOCUMENT.read_bytes()
    assert set(yaml.safe_load(raw)["paths"]) >= {"/admin/v1/users", "/metrics"}
