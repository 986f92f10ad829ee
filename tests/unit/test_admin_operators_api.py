"""/admin/v1/operators in process: the operators of log in as a user, through the admin API."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.api.appkeys import ADMIN
from service.app import BACKEND, create_app

from ..admin_api import METHOD_NOT_ALLOWED, TOKEN_REQUIRED, call, invalid, no_such
from ..conftest import make_settings
from ..listeners import admin_of, serve_both

BASE = "/admin/v1/operators"
PASSWORD = "operator password"


@pytest.fixture
async def admin(aiohttp_client: Any, fake_redis: Any, signing_key: Any) -> TestClient:
    app = create_app(make_settings(), redis=fake_redis, signing=signing_key)
    return admin_of(await serve_both(aiohttp_client, app))


@pytest.fixture
async def token(admin: TestClient) -> str:
    return (await admin.server.app[ADMIN].admin_tokens.create("tests")).token


async def create(admin, token, email: str = "Support@Example.com") -> dict[str, Any]:
    status, body, _ = await call(admin, "POST", BASE, token, {"email": email, "password": PASSWORD})
    assert status == 201, body
    return body


async def test_create_answers_201_with_location_and_no_password(admin, token):
    """POST: 201, Location /admin/v1/operators/<id>, the operator in lower case, no hash."""
    status, body, resp = await call(
        admin, "POST", BASE, token, {"email": "Support@Example.com", "password": PASSWORD}
    )

    assert status == 201
    assert set(body) == {"id", "email", "disabled", "created"}
    assert (body["email"], body["disabled"]) == ("support@example.com", False)
    assert resp.headers["Location"] == f"{BASE}/{body['id']}"
    assert uuid.UUID(body["id"]).version == 4
    stored = await admin.server.app[BACKEND].operators.get(body["id"])
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in str(body)


async def test_an_email_takes_one_operator(admin, token):
    """A second operator with the same e-mail: 409 email_taken."""
    await create(admin, token)

    status, body, _ = await call(
        admin, "POST", BASE, token, {"email": "support@example.com", "password": PASSWORD}
    )

    assert (status, body) == (
        409,
        {"error": "email_taken", "error_description": "The e-mail belongs to another operator."},
    )


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"email": "a@example.com"}, "The field password is required."),
        ({"email": "a@example.com", "password": "short"}, "A password has 8 to 1024 characters."),
        (
            {"email": "nope", "password": PASSWORD},
            "An e-mail address is ASCII name@domain (RFC 5321), at most 254 characters.",
        ),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x"}, None),
        ({"email": 5, "password": PASSWORD}, "The field email must be a string."),
    ],
    ids=["no-password", "short-password", "bad-email", "unknown-field", "wrong-type"],
)
async def test_malformed_creates_are_400(admin, token, body, description):
    """A missing, malformed or unknown field: 400 invalid_request, nothing created."""
    status, answer, _ = await call(admin, "POST", BASE, token, body)

    assert status == 400 and answer["error"] == "invalid_request"
    if description is not None:
        assert answer == invalid(description)
    assert (await call(admin, "GET", BASE, token))[1] == []


async def test_list_and_get(admin, token):
    """GET lists every operator by e-mail; GET /{id} reads one."""
    b = await create(admin, token, "b@example.com")
    a = await create(admin, token, "a@example.com")

    _, listed, _ = await call(admin, "GET", BASE, token)
    status, one, _ = await call(admin, "GET", f"{BASE}/{b['id']}", token)

    assert listed == [a, b]
    assert (status, one) == (200, b)


async def test_patch_disables_and_enables(admin, token):
    """PATCH {"disabled": true} then false: the operator's state, answered."""
    operator = await create(admin, token)

    _, disabled, _ = await call(
        admin, "PATCH", f"{BASE}/{operator['id']}", token, {"disabled": True}
    )
    _, enabled, _ = await call(
        admin, "PATCH", f"{BASE}/{operator['id']}", token, {"disabled": False}
    )

    assert (disabled["disabled"], enabled["disabled"]) == (True, False)


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({}, "The field disabled is required."),
        ({"disabled": "yes"}, "The field disabled must be true or false."),
        ({"email": "x@example.com"}, "The body has a field this operation does not take."),
    ],
    ids=["empty", "not-boolean", "other-field"],
)
async def test_patch_takes_disabled_only(admin, token, body, description):
    """PATCH needs a boolean disabled and nothing else: 400 otherwise."""
    operator = await create(admin, token)

    status, answer, _ = await call(admin, "PATCH", f"{BASE}/{operator['id']}", token, body)

    assert (status, answer) == (400, invalid(description))


async def test_delete_answers_204_then_404(admin, token):
    """DELETE: 204 with no body, then the operator is gone."""
    operator = await create(admin, token)

    status, body, _ = await call(admin, "DELETE", f"{BASE}/{operator['id']}", token)
    again, answer, _ = await call(admin, "GET", f"{BASE}/{operator['id']}", token)

    assert (status, body) == (204, None)
    assert (again, answer) == (404, no_such("operator"))


@pytest.mark.parametrize(
    "ident", ["not-a-uuid", str(uuid.uuid4()), "6A1F0D2E-8C4B-4B7A-9E3F-2D5C1B0A9F87"]
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_or_malformed_id_is_404(admin, token, method, ident):
    """An id that is not an operator's (or not of their form): 404 No such operator."""
    body = {"disabled": True} if method == "PATCH" else None

    status, answer, _ = await call(admin, method, f"{BASE}/{ident}", token, body)

    assert (status, answer) == (404, no_such("operator"))


async def test_the_operators_need_an_admin_token(admin):
    """Without an admin token: 401, like every path under /admin/."""
    status, body, _ = await call(admin, "GET", BASE, None)

    assert (status, body) == (401, TOKEN_REQUIRED)


async def test_other_methods_are_405(admin, token):
    """PUT on the collection: 405 method_not_allowed."""
    status, body, _ = await call(admin, "PUT", BASE, token, {})

    assert (status, body) == (405, METHOD_NOT_ALLOWED)
