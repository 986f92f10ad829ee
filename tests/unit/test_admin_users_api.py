"""The admin API's users, identity links and identity providers, in process on fakeredis."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.api.appkeys import ADMIN
from service.app import create_app
from service.models import ClientKind
from service.owners import Owner

from ..admin_api import call, invalid, no_such
from ..conftest import make_settings
from ..flows import BAD_LOGIN, login
from ..listeners import admin_of, serve_both

EMAIL_TAKEN = {"error": "email_taken", "error_description": "Another user has this e-mail."}
IDENTITY_TAKEN = {
    "error": "identity_taken",
    "error_description": "An identity is linked to another user.",
}
GOOGLE = {"id": "google", "kind": "oidc", "issuer": "https://accounts.google.com"}


@pytest.fixture
async def http(aiohttp_client: Any, fake_redis: Any, signing_key: Any) -> TestClient:
    app = create_app(make_settings(), redis=fake_redis, signing=signing_key)
    return await serve_both(aiohttp_client, app)


@pytest.fixture
def admin(http: TestClient) -> TestClient:
    return admin_of(http)


@pytest.fixture
async def token(admin: TestClient) -> str:
    return (await admin.server.app[ADMIN].admin_tokens.create("tests")).token


@pytest.fixture
async def google(admin: TestClient, token: str) -> dict[str, Any]:
    status, body, _ = await call(
        admin, "POST", "/admin/v1/idps", token, {**GOOGLE, "client_ids": ["web"]}
    )
    assert status == 201, body
    return body


async def create(admin: TestClient, token: str, **body: Any) -> dict[str, Any]:
    status, user, _ = await call(admin, "POST", "/admin/v1/users", token, body)
    assert status == 201, user
    return user


# create ---------------------------------------------------------------------------------------
async def test_a_created_user_logs_in_with_the_password_grant(http, admin, token):
    """POST /admin/v1/users: 201, Location, the user (lower-case e-mail); the password works."""
    app = (await admin.server.app[ADMIN].apps.create(ClientKind.MARKETPLACE, "web")).client

    status, user, resp = await call(
        admin,
        "POST",
        "/admin/v1/users",
        token,
        {"email": "Alice@Example.com", "password": "correct horse"},
    )

    assert status == 201 and resp.headers["Location"] == f"/admin/v1/users/{user['id']}"
    assert user == {
        "id": user["id"],
        "email": "alice@example.com",
        "email_verified": False,
        "disabled": False,
        "identities": [],
        "created": user["created"],
    }
    assert (await login(http, app.client_id, "alice@example.com", "correct horse"))[0] == 200


async def test_an_email_differing_only_in_case_is_a_conflict(admin, token):
    """A second user with the same e-mail in another case: 409 email_taken."""
    await create(admin, token, email="bob@example.com")

    status, body, _ = await call(
        admin, "POST", "/admin/v1/users", token, {"email": "BOB@example.COM"}
    )

    assert (status, body) == (409, EMAIL_TAKEN)


async def test_a_user_is_created_with_identities_and_found_by_them(admin, token, google):
    """identities are linked at creation; the store finds the user by (idp_id, sub)."""
    user = await create(
        admin,
        token,
        email="carol@example.com",
        email_verified=True,
        identities=[{"idp_id": "google", "sub": "g-1"}],
    )

    found = await admin.server.app[ADMIN].users.users.find_by_identity("google", "g-1")

    assert user["identities"] == [{"idp_id": "google", "sub": "g-1"}]
    assert user["email_verified"] is True
    assert found is not None and found.user_id == user["id"]


async def test_a_taken_identity_is_a_conflict_that_writes_nothing(admin, token, google):
    """An identity linked to another user: 409 identity_taken, and the e-mail stays free."""
    await create(
        admin, token, email="dan@example.com", identities=[{"idp_id": "google", "sub": "s"}]
    )

    status, body, _ = await call(
        admin,
        "POST",
        "/admin/v1/users",
        token,
        {"email": "erin@example.com", "identities": [{"idp_id": "google", "sub": "s"}]},
    )
    again = await create(admin, token, email="erin@example.com")

    assert (status, body) == (409, IDENTITY_TAKEN)
    assert again["email"] == "erin@example.com"


async def test_an_identity_of_an_unknown_provider_is_404(admin, token):
    """Linking at creation to an identity provider that does not exist: 404 not_found."""
    status, body, _ = await call(
        admin,
        "POST",
        "/admin/v1/users",
        token,
        {"email": "fay@example.com", "identities": [{"idp_id": "nope", "sub": "1"}]},
    )

    assert (status, body) == (404, no_such("identity provider"))


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({}, "The field email is required."),
        ({"email": None}, "The field email must not be null."),
        ({"email": 7}, "The field email must be a string."),
        ({"email": "a@b.c", "role": "admin"}, "The body has a field this operation does not take."),
        (
            {"email": "no-at-sign"},
            "An e-mail address is ASCII name@domain (RFC 5321), at most 254 characters.",
        ),
        ({"email": "a@b.c", "password": "short"}, "A password has 8 to 4096 characters."),
        (
            {"email": "a@b.c", "email_verified": "yes"},
            "The field email_verified must be true or false.",
        ),
        ({"email": "a@b.c", "identities": [{"idp_id": "g"}]}, "The field sub is required."),
        (
            {"email": "a@b.c", "identities": [{"idp_id": "g", "sub": "1", "x": 1}]},
            "The body has a field this operation does not take.",
        ),
        ({"email": "a@b.c", "identities": "g"}, "The field identities must be a list of objects."),
    ],
)
async def test_a_malformed_create_is_400_and_creates_nothing(admin, token, body, description):
    """Missing, null, mistyped or unknown fields and broken rules: 400 invalid_request."""
    status, answer, resp = await call(admin, "POST", "/admin/v1/users", token, body)

    assert (status, answer) == (400, invalid(description))
    assert resp.headers["Cache-Control"] == "no-store"
    assert await admin.server.app[ADMIN].users.list() == []


@pytest.mark.parametrize(
    ("raw", "headers", "description"),
    [
        (b"{", {}, "The body is not valid JSON."),
        (b"[]", {}, "The body must be a JSON object."),
        (b'{"email": "a@b.c", "email": "c@d.e"}', {}, "The body is not valid JSON."),
        (b'{"email": NaN}', {}, "The body is not valid JSON."),
        (b'{"email": "\\ud800@x.y"}', {}, "The body holds a string that is not valid Unicode."),
        (b"\xff\xfe", {}, "The body is not valid JSON."),
        (
            b"email=a",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "The body must be application/json.",
        ),
    ],
)
async def test_a_body_that_is_not_one_json_object_is_400(admin, token, raw, headers, description):
    """Broken JSON, repeated keys, NaN, lone surrogates, invalid UTF-8, a form: 400."""
    status, body, _ = await call(admin, "POST", "/admin/v1/users", token, raw=raw, headers=headers)

    assert (status, body) == (400, invalid(description))


async def test_an_oversized_body_is_413(admin, token):
    """A body over the limit (16 KiB) is 413 request_too_large before it is parsed."""
    raw = b'{"email": "' + b"a" * 20000 + b'@b.c"}'

    status, body, _ = await call(admin, "POST", "/admin/v1/users", token, raw=raw)

    assert (status, body) == (
        413,
        {"error": "request_too_large", "error_description": "The request is too large."},
    )


# read -----------------------------------------------------------------------------------------
async def test_a_user_is_read_by_id_and_by_email(admin, token):
    """GET by id and by ?email= (case-insensitively) answer the same user."""
    user = await create(admin, token, email="gil@example.com")

    by_id = await call(admin, "GET", f"/admin/v1/users/{user['id']}", token)
    by_email = await call(admin, "GET", "/admin/v1/users?email=GIL%40example.com", token)

    assert by_id[:2] == (200, user)
    assert by_email[:2] == (200, user)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/v1/users/0b6c3d62-5a0e-4f4e-9d51-8f1f7f3b2a10", (404, no_such("user"))),
        ("/admin/v1/users/not-a-uuid", (404, no_such("user"))),
        ("/admin/v1/users?email=nobody%40example.com", (404, no_such("user"))),
        ("/admin/v1/users", (400, invalid("Give the query parameter email exactly once."))),
        (
            "/admin/v1/users?email=a%40b.c&email=c%40d.e",
            (400, invalid("Give the query parameter email exactly once.")),
        ),
    ],
)
async def test_reading_no_such_user_is_404_and_a_bad_query_400(admin, token, path, expected):
    """An unknown or malformed id, an unknown e-mail: 404; no or a repeated email: 400."""
    assert (await call(admin, "GET", path, token))[:2] == expected


# update ---------------------------------------------------------------------------------------
async def test_a_new_email_is_unverified_unless_the_change_says_so(admin, token):
    """PATCH email resets email_verified; email with email_verified true keeps it verified."""
    user = await create(admin, token, email="hal@example.com", email_verified=True)
    path = f"/admin/v1/users/{user['id']}"

    _, moved, _ = await call(admin, "PATCH", path, token, {"email": "hal2@example.com"})
    _, verified, _ = await call(
        admin, "PATCH", path, token, {"email": "hal3@example.com", "email_verified": True}
    )
    freed = await create(admin, token, email="hal@example.com")

    assert (moved["email"], moved["email_verified"]) == ("hal2@example.com", False)
    assert (verified["email"], verified["email_verified"]) == ("hal3@example.com", True)
    assert freed["email"] == "hal@example.com"


async def test_a_new_password_ends_the_sessions_unless_kept(http, admin, token):
    """PATCH password logs the user out everywhere; keep_sessions true keeps them."""
    app = (await admin.server.app[ADMIN].apps.create(ClientKind.MARKETPLACE, "web")).client
    user = await create(admin, token, email="ida@example.com", password="first password")
    path = f"/admin/v1/users/{user['id']}"
    sessions = admin.server.app[ADMIN].sessions
    await login(http, app.client_id, "ida@example.com", "first password")

    await call(admin, "PATCH", path, token, {"password": "second password", "keep_sessions": True})
    kept = len(await sessions.list(Owner.user(user["id"])))
    await call(admin, "PATCH", path, token, {"password": "third password"})

    assert kept == 1
    assert await sessions.list(Owner.user(user["id"])) == []
    assert await login(http, app.client_id, "ida@example.com", "second password") == (
        401,
        BAD_LOGIN,
    )
    assert (await login(http, app.client_id, "ida@example.com", "third password"))[0] == 200


async def test_disabling_ends_every_session_and_refuses_logins(http, admin, token):
    """disabled true ends the sessions whatever keep_sessions says; false enables again."""
    app = (await admin.server.app[ADMIN].apps.create(ClientKind.MARKETPLACE, "web")).client
    user = await create(admin, token, email="jo@example.com", password="jo password")
    path = f"/admin/v1/users/{user['id']}"
    await login(http, app.client_id, "jo@example.com", "jo password")

    _, disabled, _ = await call(admin, "PATCH", path, token, {"disabled": True})
    refused = await login(http, app.client_id, "jo@example.com", "jo password")
    _, enabled, _ = await call(admin, "PATCH", path, token, {"disabled": False})

    assert disabled["disabled"] is True and refused == (401, BAD_LOGIN)
    assert enabled["disabled"] is False
    assert (await login(http, app.client_id, "jo@example.com", "jo password"))[0] == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, invalid("Give at least one of email, password, email_verified, disabled."))),
        (
            {"keep_sessions": True},
            (400, invalid("The field keep_sessions goes only with a new password.")),
        ),
        (
            {"disabled": True, "keep_sessions": False},
            (400, invalid("The field keep_sessions goes only with a new password.")),
        ),
        ({"disabled": "yes"}, (400, invalid("The field disabled must be true or false."))),
        ({"email": "taken@example.com"}, (409, EMAIL_TAKEN)),
    ],
)
async def test_a_bad_patch_is_refused_and_changes_nothing(admin, token, body, expected):
    """An empty PATCH, keep_sessions without a password, a wrong type, a taken e-mail."""
    await create(admin, token, email="taken@example.com")
    user = await create(admin, token, email="kim@example.com")

    answer = await call(admin, "PATCH", f"/admin/v1/users/{user['id']}", token, body)

    assert answer[:2] == expected
    assert (await call(admin, "GET", f"/admin/v1/users/{user['id']}", token))[1] == user


# delete ---------------------------------------------------------------------------------------
async def test_deleting_a_user_frees_the_email_and_identities(admin, token, google):
    """DELETE: 204 no body; the user is gone, the e-mail and identity can be used again."""
    user = await create(
        admin, token, email="lee@example.com", identities=[{"idp_id": "google", "sub": "L"}]
    )
    path = f"/admin/v1/users/{user['id']}"

    status, body, resp = await call(admin, "DELETE", path, token)
    again = await create(
        admin, token, email="lee@example.com", identities=[{"idp_id": "google", "sub": "L"}]
    )

    assert (status, body, resp.headers["Cache-Control"]) == (204, None, "no-store")
    assert (await call(admin, "GET", path, token))[:2] == (404, no_such("user"))
    assert (await call(admin, "DELETE", path, token))[:2] == (404, no_such("user"))
    assert again["id"] != user["id"]


# identities -----------------------------------------------------------------------------------
async def test_linking_answers_201_new_then_200_replaced(admin, token, google):
    """PUT identity: 201 for a new link, 200 for the same or a replacing sub."""
    user = await create(admin, token, email="max@example.com")
    path = f"/admin/v1/users/{user['id']}/identities/google"

    first = await call(admin, "PUT", path, token, {"sub": "a"})
    same = await call(admin, "PUT", path, token, {"sub": "a"})
    replaced = await call(admin, "PUT", path, token, {"sub": "b"})
    users = admin.server.app[ADMIN].users.users

    assert (first[0], same[0], replaced[0]) == (201, 200, 200)
    assert replaced[1]["identities"] == [{"idp_id": "google", "sub": "b"}]
    assert await users.find_by_identity("google", "a") is None


async def test_an_identity_linked_to_another_user_is_409(admin, token, google):
    """PUT an identity another user holds: 409 identity_taken; the holder keeps it."""
    holder = await create(
        admin, token, email="ned@example.com", identities=[{"idp_id": "google", "sub": "n"}]
    )
    other = await create(admin, token, email="oz@example.com")

    status, body, _ = await call(
        admin, "PUT", f"/admin/v1/users/{other['id']}/identities/google", token, {"sub": "n"}
    )

    assert (status, body) == (
        409,
        {
            "error": "identity_taken",
            "error_description": "This identity-provider account is linked to another user.",
        },
    )
    assert (await call(admin, "GET", f"/admin/v1/users/{holder['id']}", token))[1] == holder


async def test_unlinking_removes_the_link_and_a_missing_one_is_404(admin, token, google):
    """DELETE identity: 204, then 404 (no link to this provider); unknown provider ids too."""
    user = await create(
        admin, token, email="pat@example.com", identities=[{"idp_id": "google", "sub": "p"}]
    )
    path = f"/admin/v1/users/{user['id']}/identities/google"

    first = await call(admin, "DELETE", path, token)
    second = await call(admin, "DELETE", path, token)
    unknown = await call(
        admin, "PUT", f"/admin/v1/users/{user['id']}/identities/nope", token, {"sub": "1"}
    )

    assert first[0] == 204
    assert second[:2] == (
        404,
        {
            "error": "not_found",
            "error_description": "The user has no link to this identity provider.",
        },
    )
    assert unknown[:2] == (404, no_such("identity provider"))


# identity providers ---------------------------------------------------------------------------
async def test_a_facebook_provider_never_shows_its_secret(admin, token):
    """POST /admin/v1/idps (facebook): 201 without the secret; list and get never show it."""
    body = {"id": "facebook", "kind": "facebook", "client_id": "1234", "client_secret": "s3cret!"}

    status, created, resp = await call(admin, "POST", "/admin/v1/idps", token, body)
    listed = await call(admin, "GET", "/admin/v1/idps", token)
    one = await call(admin, "GET", "/admin/v1/idps/facebook", token)
    raw = await admin.server.app[ADMIN].idps.idps.config("facebook")

    assert status == 201 and resp.headers["Location"] == "/admin/v1/idps/facebook"
    assert created == {
        "id": "facebook",
        "kind": "facebook",
        "client_id": "1234",
        "graph_url": "https://graph.facebook.com",
        "created": created["created"],
    }
    assert listed[1] == [created] and one[1] == created
    assert raw is not None and raw.client_secret == "s3cret!"


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (
            {"id": "fb", "kind": "facebook", "client_id": "app-1", "client_secret": "s"},
            "A Facebook app id is digits only.",
        ),
        (
            {"id": "-bad", "kind": "oidc", "issuer": "https://i.example", "client_ids": ["a"]},
            "An identity provider id is a letter or digit, then up to 63 letters, digits, '_' or '-'.",
        ),
        (
            {"id": "g", "kind": "oidc", "issuer": "https://i.example", "client_ids": []},
            "An OIDC provider has 1 to 20 client ids.",
        ),
        (
            {"id": "g", "kind": "oidc", "issuer": "ftp://i.example", "client_ids": ["a"]},
            "Issuer must be an absolute http(s) URL.",
        ),
        ({"id": "g", "kind": "saml"}, "The field kind must be oidc or facebook."),
        (
            {
                "id": "g",
                "kind": "oidc",
                "issuer": "https://i.example",
                "client_ids": ["a"],
                "client_secret": "s",
            },
            "The body has a field this operation does not take.",
        ),
    ],
)
async def test_a_malformed_provider_is_400(admin, token, body, description):
    """A non-numeric Facebook app id, a bad id, no client ids, a bad URL, a wrong kind: 400."""
    assert (await call(admin, "POST", "/admin/v1/idps", token, body))[:2] == (
        400,
        invalid(description),
    )


async def test_deleting_a_provider_unlinks_its_users(admin, token, google):
    """DELETE /admin/v1/idps/{id}: 204; its users stay, unlinked; a provider added again links nobody."""
    user = await create(
        admin, token, email="quinn@example.com", identities=[{"idp_id": "google", "sub": "q"}]
    )

    status = (await call(admin, "DELETE", "/admin/v1/idps/google", token))[0]
    await call(admin, "POST", "/admin/v1/idps", token, {**GOOGLE, "client_ids": ["web"]})

    shown = (await call(admin, "GET", f"/admin/v1/users/{user['id']}", token))[1]
    assert status == 204
    assert shown["identities"] == []
    assert await admin.server.app[ADMIN].users.users.find_by_identity("google", "q") is None
    assert (await call(admin, "DELETE", "/admin/v1/idps/nope", token))[:2] == (
        404,
        no_such("identity provider"),
    )


async def test_adding_a_provider_twice_is_409(admin, token, google):
    """The same id again: 409 already_exists."""
    status, body, _ = await call(
        admin, "POST", "/admin/v1/idps", token, {**GOOGLE, "client_ids": ["other"]}
    )

    assert (status, body) == (
        409,
        {
            "error": "already_exists",
            "error_description": "An identity provider with this id exists.",
        },
    )


async def test_a_user_without_a_password_cannot_log_in_with_one(http, admin, token):
    """A user made without a password (identity-provider logins only): every password fails."""
    app = (await admin.server.app[ADMIN].apps.create(ClientKind.MARKETPLACE, "web")).client
    await create(admin, token, email="nopw@example.com")

    assert await login(http, app.client_id, "nopw@example.com", "any password") == (401, BAD_LOGIN)


async def test_no_password_or_app_secret_reaches_the_log(admin, token):
    """Passwords and app secrets sent to the admin API appear in no log event, also on errors."""
    from structlog.testing import capture_logs

    with capture_logs() as events:
        await call(
            admin,
            "POST",
            "/admin/v1/users",
            token,
            {"email": "z@example.com", "password": "pw-in-a-body"},
        )
        await call(
            admin,
            "POST",
            "/admin/v1/users",
            token,
            {"email": "bad", "password": "pw-in-a-bad-body"},
        )
        await call(
            admin, "POST", "/admin/v1/idps", token,
            {"id": "fb", "kind": "facebook", "client_id": "12", "client_secret": "fb-secret-value"},
        )  # fmt: skip

    logged = repr(events)
    assert "pw-in-a-body" not in logged and "pw-in-a-bad-body" not in logged
    assert "fb-secret-value" not in logged
    assert [e["status"] for e in events if e["event"] == "admin.call"] == [201, 400, 201]
