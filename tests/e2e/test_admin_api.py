"""Every admin API endpoint on the real process: its happy path and its errors, the log it
leaves, and the marketplace backend's flows end to end (sign-up, log out everywhere)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from ..admin_api import METHOD_NOT_ALLOWED, TOKEN_REQUIRED, AdminHttp, call, invalid, no_such
from ..service_proc import ServiceProcess
from .api_client import INVALID_GRANT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BAD_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}
EMAIL_TAKEN = {"error": "email_taken", "error_description": "Another user has this e-mail."}


@pytest.fixture(scope="module")
def admin_token(cli) -> str:
    return cli("admin-tokens", "create", "--name", "e2e-api")["token"]


@pytest.fixture(scope="module")
def admin(server: ServiceProcess, admin_token: str) -> AdminHttp:
    return AdminHttp(server.admin_url, admin_token)


@pytest.fixture(scope="module")
def web_app(admin: AdminHttp) -> dict[str, Any]:
    status, made = admin.request("POST", "/admin/v1/apps", {"kind": "marketplace", "name": "web"})
    assert status == 201, made
    return made


def email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(admin: AdminHttp, address: str, password: str = "e2e password") -> dict[str, Any]:
    status, user = admin.request(
        "POST", "/admin/v1/users", {"email": address, "password": password}
    )
    assert status == 201, user
    return user


def test_a_user_made_by_the_api_logs_in_and_logout_everywhere_ends_the_refresh(api, admin, web_app):
    """Done when: the API's user logs in with the password grant, and DELETE .../sessions
    makes the next refresh of that session answer 401."""
    address = email()
    user = sign_up(admin, address)
    status, tokens = api.login(web_app["client_id"], address, "e2e password")
    assert status == 200 and tokens["scope"] == "user"
    assert api.refresh(web_app["client_id"], tokens["refresh_token"])[0] == 200

    ended = admin.request("DELETE", f"/admin/v1/users/{user['id']}/sessions")

    assert ended == (204, None)
    assert api.refresh(web_app["client_id"], tokens["refresh_token"]) == (401, INVALID_GRANT)
    assert admin.request("GET", f"/admin/v1/users/{user['id']}/sessions") == (200, [])


def test_password_reset_ends_the_sessions_and_only_the_new_password_works(api, admin, web_app):
    """PATCH password (a reset): old sessions end, the old password fails, the new one works."""
    address = email()
    user = sign_up(admin, address)
    _, before = api.login(web_app["client_id"], address, "e2e password")

    status, changed = admin.request(
        "PATCH", f"/admin/v1/users/{user['id']}", {"password": "brand new password"}
    )

    assert status == 200 and changed["id"] == user["id"]
    assert api.refresh(web_app["client_id"], before["refresh_token"]) == (401, INVALID_GRANT)
    assert api.login(web_app["client_id"], address, "e2e password") == (401, BAD_LOGIN)
    assert api.login(web_app["client_id"], address, "brand new password")[0] == 200


def test_users_are_found_changed_and_deleted(admin):
    """?email= lookup, e-mail change (unverified again), disable, delete, then 404s."""
    address = email()
    user = sign_up(admin, address)
    path = f"/admin/v1/users/{user['id']}"
    new = email()

    found = admin.request("GET", f"/admin/v1/users?email={address.upper()}")
    moved = admin.request("PATCH", path, {"email": new})
    disabled = admin.request("PATCH", path, {"disabled": True})
    deleted = admin.request("DELETE", path)

    assert found == (200, user)
    assert moved[0] == 200 and (moved[1]["email"], moved[1]["email_verified"]) == (new, False)
    assert disabled[0] == 200 and disabled[1]["disabled"] is True
    assert deleted == (204, None)
    assert admin.request("GET", path) == (404, no_such("user"))
    assert admin.request("GET", f"/admin/v1/users?email={new}") == (404, no_such("user"))


def test_users_errors_on_the_real_process(admin):
    """Taken e-mail 409, malformed body 400, short password 400, unknown field 400, 405."""
    address = email()
    sign_up(admin, address)

    assert admin.request("POST", "/admin/v1/users", {"email": address.upper()}) == (
        409,
        EMAIL_TAKEN,
    )
    assert admin.request("POST", "/admin/v1/users", {"email": email(), "password": "short"}) == (
        400,
        invalid("A password has 8 to 4096 characters."),
    )
    assert admin.request("POST", "/admin/v1/users", {"email": email(), "admin": True}) == (
        400,
        invalid("The body has a field this operation does not take."),
    )
    assert admin.request("PUT", "/admin/v1/users") == (405, METHOD_NOT_ALLOWED)
    assert admin.request("GET", "/admin/v1/users", token="") == (401, TOKEN_REQUIRED)


def test_identities_link_and_unlink_on_the_real_process(admin):
    """An IdP through the API, a user linked (201), relinked (200), unlinked (204), 404s."""
    idp = f"sso-{uuid.uuid4().hex[:6]}"
    made = admin.request(
        "POST",
        "/admin/v1/idps",
        {"id": idp, "kind": "oidc", "issuer": "https://sso.example.com", "client_ids": ["web"]},
    )
    user = sign_up(admin, email())
    path = f"/admin/v1/users/{user['id']}/identities/{idp}"

    listed = admin.request("GET", "/admin/v1/idps")[1]
    linked = admin.request("PUT", path, {"sub": "one"})
    relinked = admin.request("PUT", path, {"sub": "two"})
    unlinked = admin.request("DELETE", path)

    assert made[0] == 201 and admin.request("GET", f"/admin/v1/idps/{idp}") == (200, made[1])
    assert linked[0] == 201 and linked[1]["identities"] == [{"idp_id": idp, "sub": "one"}]
    assert relinked[0] == 200 and relinked[1]["identities"] == [{"idp_id": idp, "sub": "two"}]
    assert unlinked == (204, None)
    assert admin.request("DELETE", path)[0] == 404
    assert admin.request("PUT", f"/admin/v1/users/{user['id']}/identities/nope", {"sub": "1"}) == (
        404,
        no_such("identity provider"),
    )
    assert admin.request("DELETE", f"/admin/v1/idps/{idp}") == (204, None)
    assert admin.request("GET", f"/admin/v1/idps/{idp}") == (404, no_such("identity provider"))
    assert made[1] in listed


def test_apps_lifecycle_on_the_real_process(api, admin):
    """Create (secret once), read, rename with redirect URIs, rotate the secret, delete."""
    status, made = admin.request(
        "POST", "/admin/v1/apps", {"kind": "marketplace", "name": "ssr", "secret": True}
    )
    path = f"/admin/v1/apps/{made['client_id']}"
    renamed = admin.request(
        "PATCH", path, {"name": "ssr 2", "redirect_uris": ["https://shop.example.com/api/login-as"]}
    )
    rotated = admin.request("POST", f"{path}/secret")
    listed = admin.request("GET", "/admin/v1/apps")[1]

    assert status == 201 and len(made["client_secret"]) == 43
    assert admin.request("GET", path)[1]["has_secret"] is True
    assert renamed[0] == 200 and renamed[1]["redirect_uris"] == [
        "https://shop.example.com/api/login-as"
    ]
    assert rotated[0] == 200 and rotated[1]["client_secret"] != made["client_secret"]
    assert made["client_secret"] not in repr(listed)
    assert admin.request("DELETE", path) == (204, None)
    assert admin.request("GET", path) == (404, no_such("app"))


def test_one_session_is_ended_by_its_id(api, admin, web_app):
    """DELETE /admin/v1/sessions/{id} ends that session only; unknown ids are 404."""
    address = email()
    sign_up(admin, address)
    first = api.login(web_app["client_id"], address, "e2e password")[1]
    second = api.login(web_app["client_id"], address, "e2e password")[1]
    session = first["refresh_token"].rsplit(".", 1)[0]

    assert admin.request("DELETE", f"/admin/v1/sessions/{session}") == (204, None)
    assert api.refresh(web_app["client_id"], first["refresh_token"]) == (401, INVALID_GRANT)
    assert api.refresh(web_app["client_id"], second["refresh_token"])[0] == 200
    assert admin.request("DELETE", f"/admin/v1/sessions/{session}") == (404, no_such("session"))


async def test_two_concurrent_creates_of_one_email_give_one_201_and_one_409(server, admin_token):
    """Two (and then eight) parallel POST /admin/v1/users with one e-mail: exactly one 201."""
    async with aiohttp.ClientSession(server.admin_url) as http:
        for parallel in (2, 8):
            address = email()
            replies = await asyncio.gather(
                *(
                    call(http, "POST", "/admin/v1/users", admin_token, {"email": address})
                    for _ in range(parallel)
                )
            )
            statuses = sorted(status for status, _, _ in replies)

            assert statuses == [201] + [409] * (parallel - 1)
            assert all(body == EMAIL_TAKEN for status, body, _ in replies if status == 409)
