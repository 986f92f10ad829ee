"""The login-as pages of the rehearsal: authorize-as, sign-in, confirm, sign-out, stylesheet."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.crypto.hashing import SecretHasher
from service.crypto.jwt import JwtCodec
from service.loginas import audit, pages, session, urls
from service.loginas.audit import Event, Outcome
from service.loginas.authorize import (
    AuthorizeError,
    AuthorizeRequest,
    check_user,
    parse_authorize,
    requested_client_id,
)
from service.loginas.codes import CODE_TTL, CodeRecord, code_digest, new_code
from service.loginas.csrf import CsrfTokens, Purpose
from service.loginas.headers import page_headers, stylesheet_headers
from service.loginas.operators import Operator, normalize_email, sign_in_outcome
from service.loginas.redirect_uris import origin
from service.loginas.refusals import SIGN_IN, refusal_page
from service.store.protocols import LoginCodeStore

from .directory import NO_STORE, Directory, log
from .token_app import token_handler


def build_app(
    directory: Directory,
    *,
    codes: LoginCodeStore,
    codec: JwtCodec,
    hasher: SecretHasher,
    csrf_key: bytes,
    code_ttl_ms: int = CODE_TTL * 1000,
) -> web.Application:
    csrf = CsrfTokens(csrf_key)
    cookie = session.cookie_name(secure=False)

    def page(html: str, status: int = 200, targets: tuple[str, ...] = ()) -> web.Response:
        return web.Response(
            status=status, body=html.encode(), headers=page_headers(form_targets=targets)
        )

    def with_cookie(resp: web.StreamResponse, sid: str, max_age: int) -> web.StreamResponse:
        resp.set_cookie(cookie, sid, **session.cookie_attributes(secure=False, max_age=max_age))
        return resp

    def current(request: web.Request) -> tuple[str | None, Operator | None]:
        sid = request.cookies.get(cookie)
        if not session.is_session_id(sid):
            return None, None
        assert sid is not None
        return sid, directory.operator(directory.sessions.get(session.session_digest(sid)))

    def parse(request: web.Request) -> AuthorizeRequest:
        params = list(request.query.items())
        return parse_authorize(params, directory.apps.get(requested_client_id(params)))

    def refused(
        error: AuthorizeError, request: web.Request, operator: Operator | None
    ) -> web.Response:
        audit.record(
            log,
            Event.AUTHORIZE,
            operator=operator.operator_id if operator else None,
            user=request.query.get("user_id"),
            app=request.query.get("client_id"),
            outcome=error.outcome,
        )
        if error.redirects:
            raise web.HTTPFound(error.location(), headers=NO_STORE)
        status, html = refusal_page(error.outcome, error.description)
        return page(html, status)

    def sign_in_form(
        req: AuthorizeRequest, sid: str, status: int = 200, **kw: Any
    ) -> web.StreamResponse:
        html = pages.sign_in_page(
            action=urls.with_query(urls.SIGN_IN, req.query()),
            csrf_token=csrf.issue(sid, Purpose.SIGN_IN, req.query()),
            app_name=directory.apps[req.client_id].name,
            **kw,
        )
        return with_cookie(page(html, status), sid, session.ANONYMOUS_TTL)

    async def authorize(request: web.Request) -> web.StreamResponse:
        try:
            req = parse(request)
        except AuthorizeError as error:
            return refused(error, request, None)
        sid, operator = current(request)
        if operator is None or operator.disabled:
            return sign_in_form(req, sid or session.new_session_id())
        try:
            user = check_user(directory.users.get(req.user_id))
        except AuthorizeError as error:
            return refused(error, request, operator)
        assert sid is not None
        html = pages.confirm_page(
            action=urls.with_query(urls.CONFIRM, req.query()),
            csrf_token=csrf.issue(sid, Purpose.CONFIRM, req.query()),
            user_email=user.email,
            app_name=directory.apps[req.client_id].name,
            operator_email=operator.email,
            sign_out_csrf_token=csrf.issue(sid, Purpose.SIGN_OUT),
        )
        return page(html, targets=(origin(req.redirect_uri),))

    async def sign_in(request: web.Request) -> web.StreamResponse:
        try:
            req = parse(request)
        except AuthorizeError as error:
            return refused(error, request, None)
        form = await request.post()
        sid, _ = current(request)
        email = str(form.get(pages.EMAIL, ""))
        if not csrf.check(str(form.get(pages.CSRF, "")), sid, Purpose.SIGN_IN, req.query()):
            outcome, operator = Outcome.CSRF, None
        else:
            try:
                operator = directory.operators.get(normalize_email(email))
            except ValueError:
                operator = None
            ok = await hasher.verify(
                operator.password_hash if operator else None, str(form.get(pages.PASSWORD, ""))
            )
            outcome = sign_in_outcome(operator, ok)
        operator_id = operator.operator_id if operator else None
        audit.record(
            log,
            Event.SIGN_IN,
            operator=operator_id,
            user=req.user_id,
            app=req.client_id,
            outcome=outcome,
        )
        if outcome is not Outcome.SIGNED_IN or operator is None:
            shown = SIGN_IN[outcome]
            return sign_in_form(
                req, sid or session.new_session_id(), shown.status, email=email, error=shown.message
            )
        if sid:
            directory.sessions.pop(session.session_digest(sid), None)
        new_sid = session.new_session_id()  # a new id on sign-in: no session fixation
        directory.sessions[session.session_digest(new_sid)] = operator.operator_id
        see_other = web.HTTPSeeOther(urls.with_query(urls.AUTHORIZE, req.query()), headers=NO_STORE)
        raise with_cookie(see_other, new_sid, session.SESSION_TTL)

    async def confirm(request: web.Request) -> web.StreamResponse:
        try:
            req = parse(request)
        except AuthorizeError as error:
            return refused(error, request, None)
        form = await request.post()
        sid, operator = current(request)
        if operator is None or operator.disabled:
            outcome = Outcome.OPERATOR_DISABLED if operator else Outcome.NOT_SIGNED_IN
            return refused(AuthorizeError(outcome, ""), request, operator)
        if not csrf.check(str(form.get(pages.CSRF, "")), sid, Purpose.CONFIRM, req.query()):
            return refused(AuthorizeError(Outcome.CSRF, ""), request, operator)
        try:
            check_user(directory.users.get(req.user_id))
        except AuthorizeError as error:
            return refused(error, request, operator)
        fields = dict(operator=operator.operator_id, user=req.user_id, app=req.client_id)
        choice = pages.pressed(form)
        if choice is None:
            return refused(AuthorizeError(Outcome.INVALID_REQUEST, ""), request, operator)
        if choice == pages.CANCEL:
            audit.record(log, Event.AUTHORIZE, outcome=Outcome.CANCELLED, **fields)
            raise web.HTTPFound(req.denied_location(), headers=NO_STORE)
        code = new_code()
        record = CodeRecord(
            req.client_id, req.redirect_uri, req.user_id, req.code_challenge, operator.operator_id
        )
        await codes.save(code_digest(code), record, code_ttl_ms)
        audit.record(log, Event.AUTHORIZE, outcome=Outcome.CONFIRMED, **fields)
        raise web.HTTPFound(req.code_location(code), headers=NO_STORE)

    async def sign_out(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        sid, operator = current(request)
        if operator is None or not csrf.check(str(form.get(pages.CSRF, "")), sid, Purpose.SIGN_OUT):
            status, html = refusal_page(Outcome.CSRF)
            return page(html, status)
        assert sid is not None
        directory.sessions.pop(session.session_digest(sid), None)
        audit.record(
            log,
            Event.SIGN_OUT,
            operator=operator.operator_id,
            user=None,
            app=None,
            outcome=Outcome.SIGNED_OUT,
        )
        resp = page(pages.signed_out_page())
        resp.del_cookie(cookie, path="/")
        return resp

    async def stylesheet(request: web.Request) -> web.Response:
        return web.Response(body=pages.stylesheet(), headers=stylesheet_headers())

    app = web.Application()
    app.router.add_get(urls.AUTHORIZE, authorize)
    app.router.add_post(urls.SIGN_IN, sign_in)
    app.router.add_post(urls.CONFIRM, confirm)
    app.router.add_post(urls.SIGN_OUT, sign_out)
    app.router.add_get(urls.STYLESHEET, stylesheet)
    app.router.add_post("/v1/auth/token", token_handler(directory, codes, codec))
    return app
