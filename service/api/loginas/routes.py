"""The login-as pages' routes, a table for the admin listener (never the public one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ...loginas import urls
from . import views

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOGIN_AS_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", urls.AUTHORIZE, views.authorize),
    ("POST", urls.SIGN_IN, views.sign_in),
    ("POST", urls.CONFIRM, views.confirm),
    ("POST", urls.SIGN_OUT, views.sign_out),
    ("GET", urls.STYLESHEET, views.stylesheet),
)
