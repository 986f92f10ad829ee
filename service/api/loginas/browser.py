"""The operator's browser as the login-as pages see it: HTML answers, the cookie, strict forms.

Forms are parsed as strictly as the token endpoint's (``api/parsing.py``: no duplicates, no
multipart, UTF-8 only), never with ``request.post()``. Every failure becomes an HTML page,
never a stack trace: the pages' visitors are people, not SDKs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import wraps

from aiohttp import web

from ...loginas import session
from ...loginas.headers import page_headers
from ...loginas.refusals import failure_page
from ..failures import client_error
from ..responses import NO_STORE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(
    html: str,
    status: int = 200,
    *,
    targets: Iterable[str] = (),
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An HTML page with the pages' headers (no scripts, no framing, no caching)."""
    merged = page_headers(form_targets=targets)
    merged.update(headers or {})
    return web.Response(status=status, body=html.encode("utf-8"), headers=merged)


def redirect(location: str, status: int = 302) -> web.Response:
    """Send the browser on (302 to the app, 303 after a form), leaking no referrer."""
    headers = {"Location": location, "Referrer-Policy": "no-referrer", **NO_STORE}
    return web.Response(status=status, headers=headers)


def is_https(request: web.Request, proxy_hops: int) -> bool:
    """Whether the browser reached us over https: directly, or per the trusted proxies'
    ``X-Forwarded-Proto`` (believed only through ``server.proxy_hops`` proxies)."""
    if request.secure:
        return True
    if proxy_hops <= 0:
        return False
    entries = [
        e.strip().lower()
        for e in ",".join(request.headers.getall("X-Forwarded-Proto", [])).split(",")
        if e.strip()
    ]
    if not entries:
        return False
    return entries[-proxy_hops if len(entries) >= proxy_hops else 0] == "https"


def session_cookie(request: web.Request, secure: bool) -> str | None:
    """The operator's session id from the cookie, when it has the shape of one."""
    value = request.cookies.get(session.cookie_name(secure=secure))
    return value if session.is_session_id(value) else None


def set_session_cookie(
    response: web.StreamResponse, session_id: str, *, secure: bool, max_age: int
) -> web.StreamResponse:
    """HttpOnly, SameSite=Lax, Path=/, short-lived; Secure (and ``__Host-``) over https."""
    attributes = session.cookie_attributes(secure=secure, max_age=max_age)
    response.set_cookie(session.cookie_name(secure=secure), session_id, **attributes)
    return response


def clear_session_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.del_cookie(session.cookie_name(secure=secure), path="/", secure=secure)


def text_field(form: dict[str, str], name: str, limit: int = 1024) -> str:
    """A form field as text, bounded (what a page may show back)."""
    return form.get(name, "")[:limit]


def html_errors(handler: Handler) -> Handler:
    """Any failure of a page handler as an HTML page: 400 for a malformed form, 413 for a
    body too large, 503 (with Retry-After) when the store or argon2 cannot keep up, 500 for
    anything unexpected (logged by ``client_error``)."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a page
            error, headers = client_error(exc)
            if error.retry_after is not None:
                headers["Retry-After"] = str(error.retry_after)
            status, html = failure_page(error.status)
            return page(html, status, headers=headers)

    return guarded


__all__ = [
    "clear_session_cookie",
    "html_errors",
    "is_https",
    "page",
    "redirect",
    "session_cookie",
    "set_session_cookie",
    "text_field",
]
