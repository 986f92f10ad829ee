"""The HTML of the login-as pages: sign-in, confirmation, error, signed-out.

Server-rendered, no JavaScript. Every value that reaches a page goes through ``html.escape``
(quotes too, so attribute values are safe); only fragments built here are inserted raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from importlib import resources

from . import urls

# The names of the form fields (pinned: browser tests and operators' password managers use them).
EMAIL = "email"
PASSWORD = "password"
CSRF = "csrf_token"
CONFIRM = "confirm"
CANCEL = "cancel"
SIGN_OUT = "sign_out"
BRAND = "tokenhouse · log in as a user"


def pressed(form: Mapping[str, object]) -> str | None:
    """Which button of the confirmation form was pressed: ``CONFIRM``, ``CANCEL`` or None.

    A browser sends only the pressed submit button's name, so both (or neither) is not a
    click on this form and confirms nothing.
    """
    confirm, cancel = bool(form.get(CONFIRM)), bool(form.get(CANCEL))
    if confirm == cancel:
        return None
    return CONFIRM if confirm else CANCEL


def esc(value: object) -> str:
    """Text made safe for an element or a quoted attribute."""
    return escape(str(value), quote=True)


def email_html(email: str) -> str:
    """An e-mail escaped, with a line-break opportunity after the ``@`` so that a long address
    wraps between its name and its domain on a phone rather than inside a word."""
    name, at, domain = email.rpartition("@")
    return f"{esc(name)}@<wbr>{esc(domain)}" if at else esc(email)


def stylesheet() -> bytes:
    """The pages' one stylesheet (served at ``urls.STYLESHEET``)."""
    return resources.files("service.loginas").joinpath("static/style.css").read_bytes()


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{esc(title)} · tokenhouse</title>\n"
        f'<link rel="stylesheet" href="{esc(urls.STYLESHEET)}">\n'
        "</head>\n<body>\n<main>\n"
        f'<p class="brand">{esc(BRAND)}</p>\n'
        f"{body}"
        "</main>\n</body>\n</html>\n"
    )


def _csrf_input(token: str) -> str:
    return f'<input type="hidden" name="{CSRF}" value="{esc(token)}">\n'


def sign_in_page(
    *, action: str, csrf_token: str, app_name: str | None, email: str = "", error: str | None = None
) -> str:
    """The operator's sign-in form: ``email``, ``password``, one submit button, a CSRF input."""
    lead = (
        f'<p>Sign in as an operator to log in as a user of <span class="who">{esc(app_name)}'
        "</span>.</p>\n"
        if app_name
        else "<p>Sign in as an operator.</p>\n"
    )
    alert = f'<p class="error" role="alert">{esc(error)}</p>\n' if error else ""
    # The cursor goes where the operator types next: the password once the e-mail is filled in.
    email_focus, password_focus = ("", " autofocus") if email else (" autofocus", "")
    body = (
        "<h1>Operator sign-in</h1>\n"
        f"{lead}{alert}"
        f'<form method="post" action="{esc(action)}">\n'
        f"{_csrf_input(csrf_token)}"
        f'<label for="{EMAIL}">E-mail</label>\n'
        f'<input id="{EMAIL}" name="{EMAIL}" type="email" value="{esc(email)}" '
        f'autocomplete="username" autocapitalize="none" spellcheck="false" required{email_focus}>\n'
        f'<label for="{PASSWORD}">Password</label>\n'
        f'<input id="{PASSWORD}" name="{PASSWORD}" type="password" '
        f'autocomplete="current-password" required{password_focus}>\n'
        '<button type="submit">Sign in</button>\n'
        "</form>\n"
    )
    return _page("Operator sign-in", body)


def _sign_out_form(csrf_token: str, operator_email: str) -> str:
    return (
        f'<form class="signed-in" method="post" action="{esc(urls.SIGN_OUT)}">\n'
        f"{_csrf_input(csrf_token)}"
        f"Signed in as {esc(operator_email)} · "
        f'<button type="submit" name="{SIGN_OUT}" value="1">Sign out</button>\n'
        "</form>\n"
    )


def confirm_page(
    *,
    action: str,
    csrf_token: str,
    user_email: str,
    app_name: str,
    operator_email: str,
    sign_out_csrf_token: str,
) -> str:
    """ "Log in as <user e-mail> on <app name>": a ``confirm`` and a ``cancel`` button."""
    body = (
        f'<h1 class="subject">Log in as <span class="who">{email_html(user_email)}</span> '
        f'on <span class="who">{esc(app_name)}</span></h1>\n'
        '<p class="note">The app gets a session as this user for 30 minutes, which cannot be '
        "refreshed. It is recorded under your operator account.</p>\n"
        f'<form method="post" action="{esc(action)}">\n'
        f"{_csrf_input(csrf_token)}"
        f'<button type="submit" name="{CONFIRM}" value="1">Log in as this user</button>\n'
        f'<button type="submit" name="{CANCEL}" value="1" class="secondary">Cancel</button>\n'
        "</form>\n"
        f"{_sign_out_form(sign_out_csrf_token, operator_email)}"
    )
    return _page("Log in as a user", body)


def error_page(*, title: str, message: str) -> str:
    """A refusal the browser must not be redirected for (RFC 6749 §4.1.2.1)."""
    body = f'<h1>{esc(title)}</h1>\n<p class="error" role="alert">{esc(message)}</p>\n'
    return _page(title, body)


def signed_out_page(*, again_href: str | None = None) -> str:
    """After sign-out; ``again_href`` (a local path) offers to sign in again."""
    again = f'<p><a href="{esc(again_href)}">Sign in again</a></p>\n' if again_href else ""
    body = (
        "<h1>Signed out</h1>\n"
        "<p>You are signed out. To log in as a user, start again from the marketplace.</p>\n"
        f"{again}"
    )
    return _page("Signed out", body)
