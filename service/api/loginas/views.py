"""The login-as pages: authorize (sign-in or confirmation), sign-in, confirm, sign-out, stylesheet.

The app's request rides along in each form's query, and is checked again on every step; each
form carries a CSRF token bound to the browser's session id, to the form and to that request.
Refusals that may not go back to the app (RFC 6749 §4.1.2.1) are pages; the others redirect
to the app with ``error``. Every step is logged as one audit event (``loginas/audit.py``).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from ...admin import SignIn
from ...loginas import audit, pages, session, urls
from ...loginas.audit import Event, Outcome
from ...loginas.authorize import (
    AuthorizeError,
    AuthorizeRequest,
    LoginAsApp,
    check_user,
    parse_authorize,
    requested_client_id,
)
from ...loginas.codes import CodeRecord, code_digest, new_code
from ...loginas.csrf import Purpose
from ...loginas.headers import stylesheet_headers
from ...loginas.redirect_uris import origin
from ...loginas.refusals import SIGN_IN, refusal_page
from ...models import Operator
from ..parsing import client_source, read_form
from .browser import (
    clear_session_cookie,
    html_errors,
    is_https,
    page,
    redirect,
    session_cookie,
    set_session_cookie,
    text_field,
)
from .console import LOGIN_AS, Console

log = structlog.get_logger("tokenhouse.loginas")
SHOWN_EMAIL = 254  # at most this much of a typed e-mail is shown back


async def parse(console: Console, request: web.Request) -> tuple[AuthorizeRequest, LoginAsApp]:
    """The app's request from the query, checked against the app it names (AuthorizeError)."""
    params = list(request.query.items())
    app = await console.app(requested_client_id(params))
    req = parse_authorize(params, app)
    assert app is not None  # parse_authorize refuses a request whose app is unknown
    return req, app


def refused(request: web.Request, error: AuthorizeError, operator: Operator | None) -> web.Response:
    """Log the refusal, then redirect to the app with ``error`` or show the error page."""
    audit.record(
        log,
        Event.AUTHORIZE,
        operator=operator.operator_id if operator else None,
        user=request.query.get("user_id", "")[:64] or None,
        app=request.query.get("client_id", "")[:64] or None,
        outcome=error.outcome,
    )
    if error.redirects:
        return redirect(error.location())
    status, html = refusal_page(error.outcome, error.description)
    return page(html, status)


def sign_in_form(
    console: Console,
    req: AuthorizeRequest,
    app: LoginAsApp,
    sid: str,
    *,
    secure: bool,
    shown: SignIn | None = None,
    email: str = "",
) -> web.StreamResponse:
    """The sign-in page, bound to an anonymous id in the cookie (refreshed for its lifetime)."""
    status, error = 200, None
    if shown is not None:
        status, error = SIGN_IN[shown.outcome].status, SIGN_IN[shown.outcome].message
    html = pages.sign_in_page(
        action=urls.with_query(urls.SIGN_IN, req.query()),
        csrf_token=console.csrf.issue(sid, Purpose.SIGN_IN, req.query()),
        app_name=app.name,
        email=email[:SHOWN_EMAIL],
        error=error,
    )
    extra = {}
    if shown is not None and shown.retry_after is not None:
        extra["Retry-After"] = str(shown.retry_after)
    response = page(html, status, headers=extra)
    return set_session_cookie(response, sid, secure=secure, max_age=session.ANONYMOUS_TTL)


@html_errors
async def authorize(request: web.Request) -> web.StreamResponse:
    """GET: the sign-in page, or (signed in) the confirmation naming the user and the app."""
    console = request.app[LOGIN_AS]
    try:
        req, app = await parse(console, request)
    except AuthorizeError as error:
        return refused(request, error, None)
    secure = is_https(request, console.proxy_hops)
    sid = session_cookie(request, secure)
    operator = await console.operators.current(sid)
    if operator is None or sid is None:
        return sign_in_form(console, req, app, sid or session.new_session_id(), secure=secure)
    try:
        user = check_user(await console.users.get(req.user_id))
    except AuthorizeError as error:
        return refused(request, error, operator)
    html = pages.confirm_page(
        action=urls.with_query(urls.CONFIRM, req.query()),
        csrf_token=console.csrf.issue(sid, Purpose.CONFIRM, req.query()),
        user_email=user.email,
        app_name=app.name,
        operator_email=operator.email,
        sign_out_csrf_token=console.csrf.issue(sid, Purpose.SIGN_OUT),
    )
    return page(html, targets=(origin(req.redirect_uri),))


@html_errors
async def sign_in(request: web.Request) -> web.StreamResponse:
    """POST: check the operator's e-mail and password (throttled); on success a new session
    (a new id: no fixation) and back to the request with 303."""
    console = request.app[LOGIN_AS]
    try:
        req, app = await parse(console, request)
    except AuthorizeError as error:
        return refused(request, error, None)
    form = await read_form(request)
    secure = is_https(request, console.proxy_hops)
    sid = session_cookie(request, secure)
    email = text_field(form, pages.EMAIL)
    if not console.csrf.check(form.get(pages.CSRF), sid, Purpose.SIGN_IN, req.query()):
        result = SignIn(Outcome.CSRF)
    else:
        result = await console.operators.sign_in(
            email,
            form.get(pages.PASSWORD, ""),
            source=client_source(request, console.proxy_hops),
            replacing=sid,
        )
    audit.record(
        log,
        Event.SIGN_IN,
        operator=result.operator.operator_id if result.operator else None,
        user=req.user_id,
        app=req.client_id,
        outcome=result.outcome,
    )
    if result.outcome is not Outcome.SIGNED_IN or result.session_id is None:
        anonymous = sid or session.new_session_id()
        return sign_in_form(console, req, app, anonymous, secure=secure, shown=result, email=email)
    response = redirect(urls.with_query(urls.AUTHORIZE, req.query()), status=303)
    return set_session_cookie(
        response, result.session_id, secure=secure, max_age=session.SESSION_TTL
    )


@html_errors
async def confirm(request: web.Request) -> web.StreamResponse:
    """POST: the operator pressed confirm (a code goes to the app) or cancel (access_denied)."""
    console = request.app[LOGIN_AS]
    try:
        req, _ = await parse(console, request)
    except AuthorizeError as error:
        return refused(request, error, None)
    form = await read_form(request)
    sid = session_cookie(request, is_https(request, console.proxy_hops))
    operator = await console.operators.current(sid)
    if operator is None:
        return refused(request, AuthorizeError(Outcome.NOT_SIGNED_IN, ""), None)
    if not console.csrf.check(form.get(pages.CSRF), sid, Purpose.CONFIRM, req.query()):
        return refused(request, AuthorizeError(Outcome.CSRF, ""), operator)
    try:
        check_user(await console.users.get(req.user_id))
    except AuthorizeError as error:
        return refused(request, error, operator)
    choice = pages.pressed(form)
    if choice is None:
        return refused(request, AuthorizeError(Outcome.INVALID_REQUEST, ""), operator)
    fields = {"operator": operator.operator_id, "user": req.user_id, "app": req.client_id}
    if choice == pages.CANCEL:
        audit.record(log, Event.AUTHORIZE, outcome=Outcome.CANCELLED, **fields)
        return redirect(req.denied_location())
    record = CodeRecord(
        req.client_id, req.redirect_uri, req.user_id, req.code_challenge, operator.operator_id
    )
    code = new_code()
    while not await console.codes.save(code_digest(code), record, console.code_ttl_ms):
        code = new_code()  # a digest taken already: 2^-128, but never overwrite one
    audit.record(log, Event.AUTHORIZE, outcome=Outcome.CONFIRMED, **fields)
    return redirect(req.code_location(code))


@html_errors
async def sign_out(request: web.Request) -> web.StreamResponse:
    """POST: end the operator's session (CSRF-protected) and forget the cookie."""
    console = request.app[LOGIN_AS]
    form = await read_form(request)
    secure = is_https(request, console.proxy_hops)
    sid = session_cookie(request, secure)
    operator = await console.operators.current(sid)
    if operator is None or not console.csrf.check(form.get(pages.CSRF), sid, Purpose.SIGN_OUT):
        status, html = refusal_page(Outcome.CSRF)
        return page(html, status)
    await console.operators.sign_out(sid)
    audit.record(
        log,
        Event.SIGN_OUT,
        operator=operator.operator_id,
        user=None,
        app=None,
        outcome=Outcome.SIGNED_OUT,
    )
    response = page(pages.signed_out_page())
    clear_session_cookie(response, secure=secure)
    return response


async def stylesheet(request: web.Request) -> web.Response:
    """GET: the pages' one stylesheet."""
    return web.Response(body=pages.stylesheet(), headers=stylesheet_headers())
