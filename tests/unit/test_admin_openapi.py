"""The admin listener's OpenAPI document is sound, complete for admin.md's table and leak-free."""

from __future__ import annotations

import base64
import re
import secrets
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "service" / "api" / "admin_openapi.yaml"
PUBLIC = REPO / "service" / "api" / "openapi.yaml"
DOC: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# admin.md, "JSON API under /admin/v1/", plus the listener's /metrics and its own document.
PINNED = {
    "/admin/v1/users": {"post", "get"},
    "/admin/v1/users/{id}": {"get", "patch", "delete"},
    "/admin/v1/users/{id}/identities/{idp_id}": {"put", "delete"},
    "/admin/v1/users/{id}/sessions": {"get", "delete"},
    "/admin/v1/sessions/{session_id}": {"delete"},
    "/admin/v1/apps": {"post", "get"},
    "/admin/v1/apps/{client_id}": {"get", "patch", "delete"},
    "/admin/v1/apps/{client_id}/secret": {"post"},
    "/admin/v1/idps": {"post", "get"},
    "/admin/v1/idps/{id}": {"get", "delete"},
    # log in as a user: the operators (issue 12)
    "/admin/v1/operators": {"post", "get"},
    "/admin/v1/operators/{id}": {"get", "patch", "delete"},
    "/admin/openapi.yaml": {"get"},
    "/metrics": {"get"},
}
CREATES = {
    ("/admin/v1/users", "post"),
    ("/admin/v1/apps", "post"),
    ("/admin/v1/idps", "post"),
    ("/admin/v1/operators", "post"),
}
ERROR_STATUSES = {"400", "401", "404", "409", "413", "503"}
SECRET_NAME = re.compile(r"secret|password|passwd|token|hash|digest|^pw$", re.IGNORECASE)
# The only secrets a response may carry, each shown once (admin.md: apps, secret rotation).
SHOWN_ONCE = {("AppCreated", "client_secret"), ("AppSecret", "client_secret")}


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def resolve(node: Any) -> Any:
    """Follow a local $ref chain to the object it names."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def object_schemas(
    schema: Any, name: str = "", seen: frozenset[str] = frozenset()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (component name, schema with properties) reachable from ``schema``; an untyped one
    only narrows the properties of the typed object beside it in an ``allOf``."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            return
        yield from object_schemas(resolve(schema), ref.rsplit("/", 1)[-1], seen | {ref})
        return
    if "properties" in schema:
        yield name, schema
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            yield from object_schemas(sub, name, seen)
    for sub in schema.get("properties", {}).values():
        yield from object_schemas(sub, name, seen)
    if "items" in schema:
        yield from object_schemas(schema["items"], name, seen)


def json_schema(response: dict[str, Any]) -> Any:
    return resolve(response).get("content", {}).get("application/json", {}).get("schema")


def validator(component: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:admin", Resource.from_contents(DOC, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:admin#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_document_is_openapi_3_1_guarded_by_the_admin_token() -> None:
    """An OpenAPI 3.1 document whose every operation but /metrics needs the Bearer admin token."""
    scheme = DOC["components"]["securitySchemes"]["adminToken"]

    assert DOC["openapi"].startswith("3.1.")
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert DOC["security"] == [{"adminToken": []}]
    overridden = {(p, m): op["security"] for p, m, op in operations() if "security" in op}
    assert overridden == {("/metrics", "get"): []}


def test_every_pinned_route_is_documented_with_exactly_its_methods() -> None:
    """Each path of admin.md's table is present with its methods, and nothing else is."""
    documented = {path: {m for m in item if m in METHODS} for path, item in DOC["paths"].items()}

    assert documented == PINNED


def test_operation_ids_are_unique_handler_names() -> None:
    """Every operation has a unique snake_case operationId an implementer can name a handler by."""
    ids = [op.get("operationId", "") for _, _, op in operations()]

    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_every_ref_resolves() -> None:
    """Every $ref in the document is local and points at an existing object."""
    found = list(refs(DOC))

    assert found
    for ref in found:
        assert ref.startswith("#/"), ref
        assert isinstance(resolve({"$ref": ref}), dict), ref


def test_every_schema_is_valid_json_schema_2020_12() -> None:
    """Every component schema is valid under JSON Schema 2020-12 (OpenAPI 3.1's dialect)."""
    for name, schema in DOC["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:  # pragma: no cover - the message names the schema
            pytest.fail(f"{name}: {exc.message}")


def test_every_operation_documents_a_success() -> None:
    """Every operation lists responses, one of them a 2xx, each with a description."""
    for path, method, op in operations():
        responses = op.get("responses", {})
        assert any(code.startswith("2") for code in responses), (path, method)
        for code, response in responses.items():
            assert resolve(response).get("description"), (path, method, code)


def test_creates_answer_201_and_deletes_204_without_a_body() -> None:
    """POST that creates answers 201 with a Location; every DELETE answers 204 with no content."""
    for path, method, op in operations():
        responses = op["responses"]
        if (path, method) in CREATES:
            assert "201" in responses and "200" not in responses, path
            assert "Location" in responses["201"]["headers"], path
        if method == "delete":
            assert {c for c in responses if c.startswith("2")} == {"204"}, path
            assert "content" not in resolve(responses["204"]), path


def test_admin_errors_use_the_error_body_with_no_store() -> None:
    """Under /admin/ every 400/401/404/409/413/503 is JSON {error, error_description}, no-store."""
    error_ref = "#/components/schemas/Error"
    for path, method, op in operations():
        if not path.startswith("/admin/"):
            continue
        responses = op["responses"]
        assert {"401", "503"} <= responses.keys(), (path, method)
        if "requestBody" in op:
            assert {"400", "413"} <= responses.keys(), (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        for code in ERROR_STATUSES & responses.keys():
            schema = resolve(json_schema(responses[code]))
            assert error_ref in set(refs(schema)) or schema is resolve({"$ref": error_ref})
            assert "Cache-Control" in resolve(responses[code])["headers"], (path, method, code)
        for code, response in responses.items():
            if code.startswith("2"):
                assert "Cache-Control" in resolve(response)["headers"], (path, method, code)


def test_request_bodies_are_json_and_forbid_unknown_fields() -> None:
    """Every request body is application/json and every object in it has additionalProperties false."""
    bodies = 0
    for path, method, op in operations():
        if "requestBody" not in op:
            continue
        content = op["requestBody"]["content"]
        assert set(content) == {"application/json"}, (path, method)
        for name, schema in object_schemas(content["application/json"]["schema"]):
            if schema.get("type") == "object":
                assert schema.get("additionalProperties") is False, (path, method, name)
                bodies += 1
    assert bodies >= 7


def test_responses_carry_no_secret_but_the_once_shown_app_secret() -> None:
    """No response field may carry a secret (booleans like has_secret cannot) but the once-shown one."""
    named: set[tuple[str, str]] = set()
    for path, method, op in operations():
        for code, response in op["responses"].items():
            for name, schema in object_schemas(json_schema(response)):
                if schema.get("type") == "object":
                    assert schema.get("additionalProperties") is False, (path, method, code, name)
                else:
                    assert set(schema["properties"]) == {"error"}, (path, method, code, name)
                named |= {
                    (name, prop)
                    for prop, sub in schema["properties"].items()
                    if SECRET_NAME.search(prop) and resolve(sub).get("type") != "boolean"
                }

    assert named == SHOWN_ONCE


@pytest.mark.parametrize(
    ("component", "body", "valid"),
    [
        (
            "User",
            {
                "id": str(uuid.uuid4()),
                "email": "a@example.com",
                "email_verified": True,
                "disabled": False,
                "identities": [{"idp_id": "google", "sub": "1"}],
                "created": "2025-07-01T12:00:00Z",
            },
            True,
        ),
        (
            "User",
            {
                "id": str(uuid.uuid4()),
                "email": "a@example.com",
                "email_verified": True,
                "disabled": False,
                "identities": [],
                "created": "2025-07-01T12:00:00Z",
                "password_hash": "$argon2id$...",
            },
            False,
        ),
        (
            "App",
            {
                "client_id": "web-shop",
                "kind": "marketplace",
                "name": "Web",
                "has_secret": True,
                "redirect_uris": [],
                "created": "2025-07-01T12:00:00Z",
                "client_secret": "x" * 43,
            },
            False,
        ),
        (
            "AppCreated",
            {
                "client_id": "web-shop",
                "kind": "integration",
                "name": "Sync",
                "has_secret": True,
                "redirect_uris": [],
                "created": "2025-07-01T12:00:00Z",
            },
            False,
        ),
        (
            "AppCreated",
            {
                "client_id": "web-shop",
                "kind": "marketplace",
                "name": "Web",
                "has_secret": False,
                "redirect_uris": [],
                "created": "2025-07-01T12:00:00Z",
                "client_secret": "x" * 43,
            },
            False,
        ),
        (
            "Idp",
            {
                "id": "fb",
                "kind": "facebook",
                "client_id": "123",
                "client_secret": "s",
                "graph_url": "https://graph.facebook.com",
                "created": "2025-07-01T12:00:00Z",
            },
            False,
        ),
        (
            "IdpCreate",
            {"id": "fb", "kind": "facebook", "client_id": "123", "client_secret": "s"},
            True,
        ),
        (
            "IdpCreate",
            {
                "id": "g",
                "kind": "oidc",
                "issuer": "https://accounts.google.com",
                "client_ids": ["web"],
                "client_secret": "s",
            },
            False,
        ),
        ("UserPatch", {"disabled": True}, True),
        ("UserPatch", {}, False),
        ("UserPatch", {"keep_sessions": True}, False),
        ("UserPatch", {"password": "long enough", "keep_sessions": True}, True),
        ("UserPatch", {"email": None}, False),
        ("UserCreate", {"email": "a@example.com", "password": "short"}, False),
        ("UserCreate", {"email": "a@example.com", "role": "admin"}, False),
    ],
)
def test_schemas_accept_and_refuse_sample_bodies(component: str, body: Any, valid: bool) -> None:
    """Sample bodies: well-formed ones validate; leaks, unknown fields and bad PATCHes do not."""
    errors = list(validator(component).iter_errors(body))

    assert (not errors) is valid, [e.message for e in errors]


def test_identifier_patterns_fit_the_ids_the_service_makes() -> None:
    """User ids (UUID4), session ids (the refresh token's first two parts), secrets fit the patterns."""
    schemas = DOC["components"]["schemas"]
    public = yaml.safe_load(PUBLIC.read_text(encoding="utf-8"))["components"]["schemas"]
    refresh = public["TokenResponse"]["properties"]["refresh_token"]["pattern"]
    user_id = str(uuid.uuid4())
    sid = base64.urlsafe_b64encode(secrets.token_bytes(8)).rstrip(b"=").decode()
    session_id = f"u-{user_id}.{sid}"

    assert re.fullmatch(schemas["UserId"]["pattern"], user_id)
    assert re.fullmatch(schemas["Session"]["properties"]["id"]["pattern"], session_id)
    assert re.fullmatch(schemas["SessionId"]["pattern"], session_id)
    assert re.fullmatch(schemas["SessionId"]["pattern"], f"c-web-shop.{sid}")
    assert schemas["SessionId"]["pattern"].removesuffix("$") + r"\." in refresh
    assert re.fullmatch(schemas["ClientId"]["pattern"], str(uuid.uuid4()))
    assert re.fullmatch(schemas["ClientSecret"]["pattern"], secrets.token_urlsafe(32))


def test_schemathesis_reads_every_operation() -> None:
    """schemathesis (which fuzzes the live listener) loads every operation of the document."""
    schemathesis = pytest.importorskip("schemathesis")
    loaded = schemathesis.openapi.from_path(DOCUMENT)

    found = {(r.ok().path, r.ok().method) for r in loaded.get_all_operations()}

    assert found == {(p, m) for p, m, _ in operations()}


def test_document_is_packaged() -> None:
    """The document ships in the wheel beside the public one, so the listener can serve it."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["service.api"]

    assert "admin_openapi.yaml" in data
