"""The authorization_code grant of the rehearsal: /v1/auth/token for login-as codes only."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from service.crypto.jwt import JwtCodec
from service.errors import OAuthError
from service.loginas import audit
from service.loginas.access_token import login_as_claims, login_as_response, new_jti
from service.loginas.audit import Event, Outcome
from service.loginas.codes import code_digest
from service.loginas.redemption import GRANT_TYPE, decide, parse_redemption, refusal
from service.models import ClientCredentials, TokenRequest
from service.store.protocols import LoginCodeStore
from service.store.records import UNKNOWN_CODE, CodeResult, FreshCode, UsedCode

from .directory import NO_STORE, Directory, log


def oauth_error(error: OAuthError) -> web.Response:
    body = {"error": error.code.value, "error_description": error.description}
    return web.json_response(body, status=error.status, headers=NO_STORE)


def token_handler(directory: Directory, codes: LoginCodeStore, codec: JwtCodec) -> Any:
    """The token endpoint's handler."""

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        params = {k: str(v) for k, v in form.items() if v}
        if params.get("grant_type") != GRANT_TYPE:
            return web.json_response(
                {"error": "unsupported_grant_type"}, status=400, headers=NO_STORE
            )
        app = directory.apps.get(params.get("client_id", ""))
        if app is None:
            body = {"error": "invalid_client", "error_description": "Client authentication failed."}
            return web.json_response(body, status=401, headers=NO_STORE)
        try:
            redemption = parse_redemption(
                TokenRequest(params, ClientCredentials(app.client_id, None))
            )
        except OAuthError as error:
            return oauth_error(error)
        jti = new_jti()
        consumed: CodeResult = UNKNOWN_CODE
        if redemption.well_formed:
            consumed = await codes.consume(code_digest(redemption.code), jti=jti, sid="rehearsal")
        record = consumed.record if isinstance(consumed, FreshCode) else None
        operator = directory.operator(record.operator_id) if record else None
        outcome = decide(
            redemption,
            consumed,
            user=directory.users.get(record.user_id) if record else None,
            operator_active=operator is not None and not operator.disabled,
        )
        audit.record(
            log,
            Event.TOKEN,
            operator=record.operator_id if record else None,
            user=record.user_id if record else None,
            app=app.client_id,
            outcome=outcome,
        )
        if isinstance(consumed, UsedCode):
            directory.revoked.append(consumed.first_jti)
        if outcome is not Outcome.ISSUED or record is None:
            return oauth_error(refusal(outcome))
        claims = login_as_claims(
            record, issuer=codec.issuer, audience=codec.audience, jti=jti, now=time.time()
        )
        directory.issued.append(claims)
        return web.json_response(login_as_response(codec.sign(claims)).as_dict(), headers=NO_STORE)

    return token
