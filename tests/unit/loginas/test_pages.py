"""The login-as pages: pinned form names, escaping of every value, no scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from service.loginas import pages, urls

EVIL = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>"


@dataclass
class Form:
    method: str
    action: str
    inputs: list[dict[str, str | None]] = field(default_factory=list)
    buttons: list[dict[str, str | None]] = field(default_factory=list)


class Page(HTMLParser):
    """What a browser would build: the tags, the forms and the text of each element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.forms: list[Form] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "form":
            self.forms.append(Form(attributes.get("method") or "", attributes.get("action") or ""))
        elif tag == "input":
            self.forms[-1].inputs.append(attributes)
        elif tag == "button":
            self.forms[-1].buttons.append(attributes)
        if tag not in ("input", "meta", "link", "wbr"):  # void elements
            self._open.append(tag)

    def handle_endtag(self, tag):
        self._open.pop()

    def handle_data(self, data):
        for tag in self._open:
            self.text[tag] = self.text.get(tag, "") + data

    def tag_names(self) -> set[str]:
        return {t for t, _ in self.tags}


def sign_in(**kw) -> str:
    args = {"action": "/api/authorize-as/sign-in?a=1", "csrf_token": "tok", "app_name": "Sauna"}
    return pages.sign_in_page(**{**args, **kw})


def confirm(**kw) -> str:
    args = {
        "action": "/api/authorize-as/confirm?a=1",
        "csrf_token": "tok",
        "user_email": "user@example.com",
        "app_name": "Sauna Market",
        "operator_email": "ops@example.com",
        "sign_out_csrf_token": "out",
    }
    return pages.confirm_page(**{**args, **kw})


ALL_PAGES = {
    "sign-in": sign_in(),
    "sign-in-with-error": sign_in(error="Wrong e-mail or password.", email="ops@example.com"),
    "confirm": confirm(),
    "error": pages.error_page(title="Unknown app", message="The app is unknown."),
    "signed-out": pages.signed_out_page(again_href="/api/authorize-as?a=1"),
}


def test_sign_in_form_has_the_pinned_names():
    """One POST form: hidden csrf_token, email, password, exactly one submit button."""
    page = Page(sign_in())

    [form] = page.forms
    assert (form.method, form.action) == ("post", "/api/authorize-as/sign-in?a=1")
    assert [(i["type"], i["name"]) for i in form.inputs] == [
        ("hidden", "csrf_token"),
        ("email", "email"),
        ("password", "password"),
    ]
    assert [b["type"] for b in form.buttons] == ["submit"]


def test_sign_in_form_keeps_the_email_but_never_a_password():
    """After a failed sign-in the e-mail is filled in again; the password input has no value."""
    page = Page(sign_in(email="ops@example.com", error="Wrong e-mail or password."))

    inputs = {i["name"]: i for i in page.forms[0].inputs}
    assert inputs["email"]["value"] == "ops@example.com"
    assert "value" not in inputs["password"]
    assert page.text["p"].count("Wrong e-mail or password.") == 1


def test_confirmation_names_user_and_app():
    """The heading reads "Log in as <user e-mail> on <app name>"."""
    assert Page(confirm()).text["h1"] == "Log in as user@example.com on Sauna Market"


def test_a_long_email_may_wrap_after_its_at_sign_only():
    """The user's e-mail carries one line-break opportunity, after the @, and stays escaped."""
    html = confirm(user_email="o'<b>@example.com")

    assert "o&#x27;&lt;b&gt;@<wbr>example.com" in html
    assert Page(confirm(user_email="o'<b>@example.com")).text["h1"].startswith("Log in as o'<b>@")


def test_the_cursor_starts_where_the_operator_types_next():
    """E-mail first; after a refused sign-in (e-mail kept) the password."""
    fresh = {i["name"]: i for i in Page(sign_in()).forms[0].inputs}
    again = {i["name"]: i for i in Page(sign_in(email="ops@example.com")).forms[0].inputs}

    assert ("autofocus" in fresh["email"], "autofocus" in fresh["password"]) == (True, False)
    assert ("autofocus" in again["email"], "autofocus" in again["password"]) == (False, True)


def test_confirmation_form_has_confirm_and_cancel():
    """The first form posts the CSRF token with a submit button named confirm and one named cancel."""
    form = Page(confirm()).forms[0]

    assert (form.method, form.action) == ("post", "/api/authorize-as/confirm?a=1")
    assert [(i["type"], i["name"], i["value"]) for i in form.inputs] == [
        ("hidden", "csrf_token", "tok")
    ]
    assert [(b["type"], b["name"]) for b in form.buttons] == [
        ("submit", "confirm"),
        ("submit", "cancel"),
    ]


def test_confirmation_offers_sign_out_with_its_own_token():
    """A second form signs the operator out, with the sign-out CSRF token."""
    form = Page(confirm()).forms[1]

    assert (form.method, form.action) == ("post", urls.SIGN_OUT)
    assert form.inputs == [{"type": "hidden", "name": "csrf_token", "value": "out"}]
    assert [(b["type"], b["name"]) for b in form.buttons] == [("submit", "sign_out")]


@pytest.mark.parametrize(
    "html",
    [
        confirm(user_email=EVIL, app_name=EVIL, operator_email=EVIL, csrf_token=EVIL),
        confirm(action=EVIL, sign_out_csrf_token=EVIL),
        sign_in(app_name=EVIL, email=EVIL, error=EVIL, csrf_token=EVIL, action=EVIL),
        pages.error_page(title=EVIL, message=EVIL),
        pages.signed_out_page(again_href=EVIL),
    ],
    ids=["confirm-text", "confirm-attributes", "sign-in", "error", "signed-out"],
)
def test_every_value_is_escaped(html):
    """Markup in any value renders as text: no script or img element, no event handler."""
    page = Page(html)

    assert "script" not in page.tag_names() and "img" not in page.tag_names()
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert "<script>" not in html and "<img" not in html


def test_escaped_values_read_back_unchanged():
    """An escaped e-mail and app name show exactly as given."""
    page = Page(confirm(user_email=EVIL, app_name="Bob & <Co>"))

    assert page.text["h1"] == f"Log in as {EVIL} on Bob & <Co>"


def test_escaped_attribute_values_read_back_unchanged():
    """A value with quotes stays inside its attribute."""
    form = Page(sign_in(email=EVIL, csrf_token='a"b')).forms[0]

    assert [i.get("value") for i in form.inputs[:2]] == ['a"b', EVIL]


@pytest.mark.parametrize("name", sorted(ALL_PAGES))
def test_pages_have_no_script_and_no_inline_style(name):
    """No script element, no style attribute or element, no javascript: URL anywhere."""
    page = Page(ALL_PAGES[name])

    assert not page.tag_names() & {"script", "style", "iframe", "object", "embed"}
    assert not any("style" in attrs for _, attrs in page.tags)
    assert "javascript:" not in ALL_PAGES[name].lower()


@pytest.mark.parametrize("name", sorted(ALL_PAGES))
def test_pages_are_readable_on_a_phone(name):
    """Every page has the viewport meta, a language, and the one stylesheet."""
    page = Page(ALL_PAGES[name])

    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in (
        page.tags
    )
    assert ("html", {"lang": "en"}) in page.tags
    assert [a["href"] for t, a in page.tags if t == "link"] == [urls.STYLESHEET]


def test_error_page_shows_title_and_message():
    """The error page shows what went wrong and has no form."""
    page = Page(ALL_PAGES["error"])

    assert (page.text["h1"], page.forms) == ("Unknown app", [])
    assert "The app is unknown." in page.text["p"]


def test_signed_out_page_links_back_only_when_asked():
    """The signed-out page offers "Sign in again" only with a link to go to."""
    assert "Sign in again" in pages.signed_out_page(again_href="/api/authorize-as?a=1")
    assert "Sign in again" not in pages.signed_out_page()


def test_stylesheet_is_self_contained():
    """The stylesheet loads nothing else (no url() or @import) and sets a single column."""
    css = pages.stylesheet().decode()

    assert "max-width" in css and "url(" not in css and "@import" not in css


@pytest.mark.parametrize(
    ("form", "choice"),
    [
        ({"confirm": "1", "csrf_token": "t"}, "confirm"),
        ({"cancel": "1"}, "cancel"),
        ({"confirm": "1", "cancel": "1"}, None),
        ({"csrf_token": "t"}, None),
        ({"confirm": ""}, None),
    ],
    ids=["confirm", "cancel", "both", "neither", "empty"],
)
def test_pressed_button(form, choice):
    """Only exactly one of confirm and cancel counts as a click on the confirmation form."""
    assert pages.pressed(form) == choice
