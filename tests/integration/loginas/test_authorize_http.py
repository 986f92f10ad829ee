"""The login-as pages on the real admin listener: page errors, redirected errors, sign-in, CSRF,
confirmation, sign-out."""

from __future__ import annotations

import pytest
import redis

from ...login_as import action_of, csrf_of, query_of
from .conftest import REDIRECT, SESSION_COOKIE, STATE, Browser, World

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def operator_sessions(world: World) -> int:
    """How many operator sessions Redis holds."""
    with redis.Redis.from_url(world.redis.url) as conn:
        return len(conn.keys("th:operator-session:*"))


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"client_id": "cid-unknown"}, "invalid_client"),
        ({"client_id": None}, "invalid_client"),
        ({"client_id": "not an id!"}, "invalid_client"),
        ({"redirect_uri": "https://evil.example/api/login-as"}, "invalid_redirect_uri"),
        ({"redirect_uri": REDIRECT + "/"}, "invalid_redirect_uri"),
        ({"redirect_uri": None}, "invalid_redirect_uri"),
    ],
    ids=[
        "unknown-client",
        "no-client",
        "malformed-client",
        "unregistered-redirect-uri",
        "not-exactly-registered",
        "no-redirect-uri",
    ],
)
async def test_bad_client_or_redirect_uri_shows_a_page(operator, audit, overrides, outcome):
    """400 with the error page, no Location: the browser is never sent to an unchecked URI."""
    status, page, resp = await operator.open(**overrides)

    assert (status, "Location" in resp.headers) == (400, False)
    assert resp.content_type == "text/html"
    assert "This app cannot log in as a user" in page
    assert audit.outcomes("login_as.authorize") == [outcome]


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge": None}, "A PKCE code_challenge is required."),
        ({"code_challenge_method": "plain"}, "code_challenge_method must be S256."),
        ({"code_challenge_method": None}, "code_challenge_method must be S256."),
    ],
    ids=["missing-pkce", "plain-pkce", "no-method"],
)
async def test_missing_or_plain_pkce_goes_back_as_invalid_request(operator, overrides, description):
    """The app gets 302 redirect_uri?error=invalid_request&...&state=..."""
    status, _, resp = await operator.open(**overrides)

    assert status == 302 and resp.headers["Location"].startswith(f"{REDIRECT}?")
    assert query_of(resp.headers["Location"]) == {
        "error": ["invalid_request"],
        "error_description": [description],
        "state": [STATE],
    }


async def test_first_visit_shows_the_sign_in_form_with_strict_headers(operator):
    """Not signed in: the sign-in page, a pre-sign-in cookie, a script-free CSP, no caching."""
    status, page, resp = await operator.open()

    assert status == 200 and 'name="email"' in page and 'name="password"' in page
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none';")
    assert (resp.headers["X-Frame-Options"], resp.headers["Cache-Control"]) == ("DENY", "no-store")
    cookie = resp.cookies[SESSION_COOKIE]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"], cookie["max-age"]) == (
        True,
        "Lax",
        "/",
        "600",
    )
    assert not cookie["secure"]  # plain http here: no Secure, no __Host- prefix


async def test_sign_in_sets_a_new_short_lived_session(operator, world, audit):
    """Signing in replaces the pre-sign-in cookie with a new id that lives 15 minutes."""
    _, page, first = await operator.open()

    resp = await operator.sign_in(page)

    cookie = resp.cookies[SESSION_COOKIE]
    assert resp.status == 303
    assert cookie.value != first.cookies[SESSION_COOKIE].value
    assert (cookie["httponly"], cookie["samesite"], cookie["max-age"]) == (True, "Lax", "900")
    assert audit.rows("operator.sign_in") == [
        (world.operator["id"], world.user["id"], world.app["client_id"], "signed_in")
    ]


@pytest.mark.parametrize("token", ["", "x" * 43], ids=["missing", "forged"])
async def test_sign_in_without_a_valid_csrf_token_is_refused(operator, world, audit, token):
    """403, the form again, and no session: a cross-site post cannot sign anyone in."""
    _, page, _ = await operator.open()
    before = operator_sessions(world)

    resp = await operator.sign_in(page.replace(csrf_of(page), token))

    assert resp.status == 403 and "The form had expired. Sign in again." in await resp.text()
    assert operator_sessions(world) == before
    assert audit.outcomes("operator.sign_in") == ["csrf"]


async def test_sign_in_with_a_foreign_csrf_token_is_refused(operator, another_browser, world):
    """A token rendered for another browser's session is refused with this one's cookie."""
    _, page, _ = await operator.open()
    _, foreign, _ = await another_browser.open()

    resp = await operator.sign_in(page.replace(csrf_of(page), csrf_of(foreign)))

    assert resp.status == 403
    _, again, _ = await operator.open()
    assert 'name="password"' in again  # still not signed in


@pytest.mark.parametrize("who", ["wrong-password", "unknown-operator"])
async def test_wrong_credentials_are_one_answer(operator, who):
    """Unknown e-mail and wrong password: 401 and the same message."""
    _, page, _ = await operator.open()
    if who == "wrong-password":
        resp = await operator.sign_in(page, password="wrong password")
    else:
        resp = await operator.sign_in(page, email="nobody@example.com")

    assert resp.status == 401 and "Wrong e-mail or password." in await resp.text()


async def test_failed_sign_ins_are_throttled(operator, world):
    """Past the account's limit (10 by default) the form answers 429 with Retry-After."""
    staff = world.service.new_operator()
    _, page, _ = await operator.open()
    for _ in range(10):
        resp = await operator.sign_in(page, email=staff["email"], password="wrong password")
        page = await resp.text()
        assert resp.status == 401

    resp = await operator.sign_in(page, email=staff["email"])

    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins." in await resp.text()


async def test_disabled_operator_cannot_sign_in(operator, world, audit):
    """A disabled operator with the right password: 403, told the account is disabled."""
    staff = world.service.new_operator()
    world.service.cli("operators", "disable", staff["id"])
    _, page, _ = await operator.open()

    resp = await operator.sign_in(page, email=staff["email"])

    assert resp.status == 403 and "This operator account is disabled." in await resp.text()
    assert audit.rows("operator.sign_in") == [
        (staff["id"], world.user["id"], world.app["client_id"], "operator_disabled")
    ]


async def test_operator_disabled_after_sign_in_cannot_confirm(operator, world):
    """Disabling an operator ends their sign-in: their open confirmation page does nothing."""
    staff = world.service.new_operator()
    page = await operator.signed_in(email=staff["email"])
    world.service.cli("operators", "disable", staff["id"])

    resp = await operator.press(page, "confirm")

    assert (resp.status, "Location" in resp.headers) == (403, False)
    assert "Your sign-in has ended." in await resp.text()


async def test_deleted_operator_cannot_confirm(operator, world):
    """Deleting an operator ends their sign-in as well."""
    staff = world.service.new_operator()
    page = await operator.signed_in(email=staff["email"])
    world.service.cli("operators", "delete", staff["id"])

    resp = await operator.press(page, "confirm")

    assert resp.status == 403


@pytest.mark.parametrize("change", ["disabled", "unknown"])
async def test_disabled_or_unknown_user_is_shown_to_the_operator(operator, world, change):
    """After sign-in, a disabled or unknown user is an error page, and nothing reaches the app."""
    user = world.service.new_user()
    if change == "disabled":
        world.service.cli("users", "disable", "--email", user["email"])
    else:
        world.service.cli("users", "delete", "--email", user["email"])
    _, page, _ = await operator.open(user_id=user["id"])
    signed_in = await operator.sign_in(page)

    resp = await operator.http.get(signed_in.headers["Location"], allow_redirects=False)

    assert (resp.status, "Location" in resp.headers) == (
        {"disabled": 403, "unknown": 404}[change],
        False,
    )
    title = {"disabled": "This user is disabled", "unknown": "No such user"}[change]
    assert title in await resp.text()


async def test_confirmation_names_user_and_app(operator):
    """The confirmation page reads "Log in as <user e-mail> on <app name>"."""
    page = await operator.signed_in()

    assert (
        '<span class="who">maria@<wbr>example.com</span> on <span class="who">Sauna Market</span>'
        in page
    )


@pytest.mark.parametrize("token", ["", "x" * 43], ids=["missing", "forged"])
async def test_confirm_without_a_valid_csrf_token_is_refused(operator, token):
    """403 and no code: a cross-site post cannot make a signed-in operator confirm."""
    page = await operator.signed_in()

    resp = await operator.press(page.replace(csrf_of(page), token), "confirm")

    assert (resp.status, "Location" in resp.headers) == (403, False)
    assert "This form has expired" in await resp.text()


async def test_confirm_token_of_another_request_is_refused(operator, world):
    """A confirmation token only confirms the request it was shown for (here: another user)."""
    page_a = await operator.signed_in()
    page_b = await operator.signed_in(user_id=world.other_user["id"])

    resp = await operator.press(page_b.replace(csrf_of(page_b), csrf_of(page_a)), "confirm")

    assert resp.status == 403


async def test_confirm_without_a_session_is_refused(operator, another_browser):
    """A confirmation posted without the operator's session cookie is refused."""
    page = await operator.signed_in()

    resp = await another_browser.press(page, "confirm")

    assert resp.status == 403 and "Your sign-in has ended." in await resp.text()


async def test_confirm_redirects_with_code_and_state(operator, world, audit):
    """Confirming: 302 to redirect_uri?code=...&state=..., and the login-as is audited."""
    page = await operator.signed_in()

    resp = await operator.press(page, "confirm")

    assert resp.status == 302 and resp.headers["Location"].startswith(f"{REDIRECT}?")
    params = query_of(resp.headers["Location"])
    assert (sorted(params), params["state"], len(params["code"][0])) == (
        ["code", "state"],
        [STATE],
        43,
    )
    assert audit.rows("login_as.authorize") == [
        (world.operator["id"], world.user["id"], world.app["client_id"], "confirmed")
    ]


async def test_cancel_redirects_with_access_denied(operator):
    """Cancelling: 302 to redirect_uri?error=access_denied&state=..."""
    page = await operator.signed_in()

    resp = await operator.press(page, "cancel")

    assert (resp.status, resp.headers["Location"]) == (
        302,
        f"{REDIRECT}?error=access_denied&state={STATE}",
    )


async def test_confirmation_allows_the_apps_origin_as_form_target(operator):
    """The confirmation page's CSP lets the form's redirect reach the app's origin only."""
    _, page, _ = await operator.open()
    signed_in = await operator.sign_in(page)

    resp = await operator.http.get(signed_in.headers["Location"])

    assert "form-action 'self' https://market.example;" in resp.headers["Content-Security-Policy"]


async def test_sign_out_ends_the_session(operator: Browser, world, audit):
    """Signing out (with its CSRF token) ends the session: the next visit asks to sign in."""
    page = await operator.signed_in()
    session_id = operator.session_cookie()

    resp = await operator.http.post(
        "/api/authorize-as/sign-out", data={"csrf_token": csrf_of(page, 1), "sign_out": "1"}
    )
    _, again, _ = await operator.open()

    assert resp.status == 200 and "Signed out" in await resp.text()
    assert 'name="password"' in again and operator.session_cookie() != session_id
    assert audit.outcomes("operator.sign_out") == ["signed_out"]


async def test_sign_out_without_its_csrf_token_is_refused(operator):
    """A cross-site post cannot sign the operator out."""
    await operator.signed_in()

    resp = await operator.http.post("/api/authorize-as/sign-out", data={"sign_out": "1"})
    _, again, _ = await operator.open()

    assert resp.status == 403 and 'name="confirm"' in again


async def test_confirm_post_without_a_button_confirms_nothing(operator):
    """A post of the confirmation form naming neither confirm nor cancel is 400, no redirect."""
    page = await operator.signed_in()

    resp = await operator.http.post(
        action_of(page), data={"csrf_token": csrf_of(page)}, allow_redirects=False
    )

    assert (resp.status, "Location" in resp.headers) == (400, False)
