"""The authorization side over HTTP: page errors, redirected errors, sign-in, CSRF, confirmation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from .conftest import OTHER_USER, REDIRECT, STATE, USER, action_of, csrf_of, query_of

pytestmark = pytest.mark.integration


def audited(logs, event: str) -> list[tuple[str | None, str | None, str | None, str]]:
    return [(e["operator"], e["user"], e["app"], e["outcome"]) for e in logs if e["event"] == event]


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"client_id": "cid-unknown"}, "invalid_client"),
        ({"client_id": None}, "invalid_client"),
        ({"redirect_uri": "https://evil.example/api/login-as"}, "invalid_redirect_uri"),
        ({"redirect_uri": None}, "invalid_redirect_uri"),
    ],
    ids=["unknown-client", "no-client", "unregistered-redirect-uri", "no-redirect-uri"],
)
async def test_bad_client_or_redirect_uri_shows_a_page(operator, overrides, outcome):
    """400 with the error page, no Location: the browser is never sent to an unchecked URI."""
    with capture_logs() as logs:
        status, page, resp = await operator.open(**overrides)

    assert (status, "Location" in resp.headers) == (400, False)
    assert "This app cannot log in as a user" in page
    assert [a[3] for a in audited(logs, "login_as.authorize")] == [outcome]


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

    assert status == 302
    assert query_of(resp.headers["Location"]) == {
        "error": ["invalid_request"],
        "error_description": [description],
        "state": [STATE],
    }
    assert resp.headers["Location"].startswith(f"{REDIRECT}?")


async def test_first_visit_shows_the_sign_in_form_with_strict_headers(operator):
    """Not signed in: the sign-in page, a pre-sign-in cookie, a script-free CSP, no caching."""
    status, page, resp = await operator.open()

    assert status == 200 and 'name="password"' in page
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none';")
    assert (resp.headers["X-Frame-Options"], resp.headers["Cache-Control"]) == ("DENY", "no-store")
    cookie = resp.cookies["tokenhouse-operator"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"], cookie["max-age"]) == (
        True,
        "Lax",
        "/",
        "600",
    )


async def test_sign_in_sets_a_new_short_lived_session(operator):
    """Signing in replaces the pre-sign-in cookie with a new id that lives 15 minutes."""
    _, page, first = await operator.open()

    resp = await operator.sign_in(page)

    cookie = resp.cookies["tokenhouse-operator"]
    assert resp.status == 303
    assert cookie.value != first.cookies["tokenhouse-operator"].value
    assert (cookie["httponly"], cookie["samesite"], cookie["max-age"]) == (True, "Lax", "900")


@pytest.mark.parametrize("token", ["", "x" * 43], ids=["missing", "forged"])
async def test_sign_in_without_a_valid_csrf_token_is_refused(operator, token):
    """403, the form again, and no session: a cross-site post cannot sign anyone in."""
    _, page, _ = await operator.open()

    with capture_logs() as logs:
        resp = await operator.sign_in(page.replace(csrf_of(page), token))

    assert resp.status == 403 and "The form had expired. Sign in again." in await resp.text()
    assert operator.rehearsal.directory.sessions == {}
    assert [a[3] for a in audited(logs, "operator.sign_in")] == ["csrf"]


async def test_sign_in_with_a_foreign_csrf_token_is_refused(operator, another_browser):
    """A token rendered for another browser's session is refused with this one's cookie."""
    _, page, _ = await operator.open()
    _, foreign, _ = await another_browser.open()

    resp = await operator.sign_in(page.replace(csrf_of(page), csrf_of(foreign)))

    assert resp.status == 403 and operator.rehearsal.directory.sessions == {}


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("support@example.com", "wrong password"),
        ("nobody@example.com", "correct horse battery staple"),
    ],
    ids=["wrong-password", "unknown-operator"],
)
async def test_wrong_credentials_are_one_answer(operator, email, password):
    """Unknown e-mail and wrong password: 401 and the same message."""
    _, page, _ = await operator.open()

    resp = await operator.sign_in(page, email=email, password=password)

    assert resp.status == 401 and "Wrong e-mail or password." in await resp.text()


async def test_disabled_operator_cannot_sign_in(operator):
    """A disabled operator with the right password: 403, told the account is disabled."""
    d = operator.rehearsal.directory
    d.operators["support@example.com"] = replace(d.operators["support@example.com"], disabled=True)
    _, page, _ = await operator.open()

    with capture_logs() as logs:
        resp = await operator.sign_in(page)

    assert resp.status == 403 and "This operator account is disabled." in await resp.text()
    assert audited(logs, "operator.sign_in") == [
        ("op-1", "user-1", "cid-market", "operator_disabled")
    ]


async def test_operator_disabled_after_sign_in_cannot_confirm(operator):
    """Disabling an operator ends what their open confirmation page can do."""
    page = await operator.signed_in()
    d = operator.rehearsal.directory
    d.operators["support@example.com"] = replace(d.operators["support@example.com"], disabled=True)

    resp = await operator.press(page, "confirm")

    assert resp.status == 403 and "This operator account is disabled." in await resp.text()


@pytest.mark.parametrize(
    ("user", "status", "title"),
    [
        (replace(USER, disabled=True), 403, "This user is disabled"),
        (None, 404, "No such user"),
    ],
    ids=["disabled", "unknown"],
)
async def test_disabled_or_unknown_user_is_shown_to_the_operator(operator, user, status, title):
    """After sign-in, a disabled or unknown user is an error page, and nothing reaches the app."""
    d = operator.rehearsal.directory
    if user is None:
        del d.users[USER.user_id]
    else:
        d.users[USER.user_id] = user
    _, page, _ = await operator.open()
    signed_in = await operator.sign_in(page)

    resp = await operator.client.get(signed_in.headers["Location"], allow_redirects=False)

    assert (resp.status, "Location" in resp.headers) == (status, False)
    assert title in await resp.text()


async def test_confirmation_names_user_and_app(operator):
    """The confirmation page reads "Log in as <user e-mail> on <app name>"."""
    page = await operator.signed_in()

    assert (
        '<span class="who">maria@example.com</span> on <span class="who">Sauna Market</span>'
        in page
    )


@pytest.mark.parametrize("token", ["", "x" * 43], ids=["missing", "forged"])
async def test_confirm_without_a_valid_csrf_token_is_refused(operator, redis_url, token):
    """403 and no code: a cross-site post cannot make a signed-in operator confirm."""
    page = await operator.signed_in()

    resp = await operator.press(page.replace(csrf_of(page), token), "confirm")

    assert resp.status == 403 and "This form has expired" in await resp.text()


async def test_confirm_token_of_another_request_is_refused(operator):
    """A confirmation token only confirms the request it was shown for (here: another user)."""
    page_a = await operator.signed_in()
    page_b = await operator.signed_in(user_id=OTHER_USER.user_id)

    resp = await operator.press(page_b.replace(csrf_of(page_b), csrf_of(page_a)), "confirm")

    assert resp.status == 403


async def test_confirm_without_a_session_is_refused(operator, another_browser):
    """A confirmation posted without the operator's session cookie is refused."""
    page = await operator.signed_in()

    resp = await another_browser.press(page, "confirm")

    assert resp.status == 403 and "Your sign-in has ended." in await resp.text()


async def test_confirm_redirects_with_code_and_state(operator):
    """Confirming: 302 to redirect_uri?code=...&state=..., and the login-as is audited."""
    page = await operator.signed_in()

    with capture_logs() as logs:
        resp = await operator.press(page, "confirm")

    assert resp.status == 302
    params = query_of(resp.headers["Location"])
    assert (sorted(params), params["state"], len(params["code"][0])) == (
        ["code", "state"],
        [STATE],
        43,
    )
    assert audited(logs, "login_as.authorize") == [("op-1", "user-1", "cid-market", "confirmed")]


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

    resp = await operator.client.get(signed_in.headers["Location"])

    assert "form-action 'self' https://market.example;" in resp.headers["Content-Security-Policy"]


async def test_sign_out_ends_the_session(operator):
    """Signing out (with its CSRF token) ends the session: the next visit asks to sign in."""
    page = await operator.signed_in()

    resp = await operator.client.post(
        "/api/authorize-as/sign-out", data={"csrf_token": csrf_of(page, 1), "sign_out": "1"}
    )
    _, again, _ = await operator.open()

    assert resp.status == 200 and "Signed out" in await resp.text()
    assert operator.rehearsal.directory.sessions == {} and 'name="password"' in again


async def test_sign_out_without_its_csrf_token_is_refused(operator):
    """A cross-site post cannot sign the operator out."""
    await operator.signed_in()

    resp = await operator.client.post("/api/authorize-as/sign-out", data={"sign_out": "1"})

    assert resp.status == 403 and len(operator.rehearsal.directory.sessions) == 1


async def test_confirm_post_without_a_button_confirms_nothing(operator):
    """A post of the confirmation form naming neither confirm nor cancel is 400, no redirect."""
    page = await operator.signed_in()

    resp = await operator.client.post(
        action_of(page), data={"csrf_token": csrf_of(page)}, allow_redirects=False
    )

    assert (resp.status, "Location" in resp.headers) == (400, False)
