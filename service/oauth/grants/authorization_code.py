"""Authorization code grant of "log in as a user": RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6).

A marketplace app (a public client: the SDK's ``loginAs`` sends no secret) redeems a code an
operator confirmed on the admin listener. It gets a 30-minute ``user:limited`` token that names
the operator in ``act``, and no refresh token. The token has a session of its own (holding no
refresh token), so ending the user's sessions, disabling or deleting the user ends it wherever
Redis is asked. Any attempt spends the code; a reused code revokes what its first use issued.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import structlog

from ... import context
from ...loginas import audit
from ...loginas.access_token import LOGIN_AS_TTL, login_as_claims, login_as_response, new_jti
from ...loginas.audit import Event, Outcome
from ...loginas.authorize import LIMITED_SCOPE
from ...loginas.codes import code_digest
from ...loginas.redemption import GRANT_TYPE, decide, parse_redemption, refusal
from ...models import Client, ClientKind, TokenRequest, TokenResponse, User
from ...owners import Owner, SessionRef
from ...store.records import UNKNOWN_CODE, CodeResult, FreshCode, SessionLimits, UsedCode
from ..outcomes import SessionEvent
from ..services import Services
from ..tokens import new_session_id

log = structlog.get_logger("tokenhouse.loginas")
# The session of a login-as token holds no refresh token: no presented digest can equal this.
NO_REFRESH_TOKEN = b""


def lifetime_ms(services: Services) -> int:
    """How long a login-as token is accepted: its lifetime plus the verification leeway."""
    return int((LOGIN_AS_TTL + services.jwt.leeway) * 1000)


async def open_session(services: Services, ref: SessionRef, client_id: str, user: User) -> bool:
    """The token's session, ending with the token; in the same store step the user must still
    exist, not be disabled, nor have had every session ended since ``user`` was read."""
    ttl_ms = lifetime_ms(services)
    created = await services.sessions.create(
        ref,
        client_id=client_id,
        scope=LIMITED_SCOPE,
        digest=NO_REFRESH_TOKEN,
        limits=SessionLimits(idle_ms=ttl_ms, max_ms=ttl_ms, grace_ms=0, cap=services.limits.cap),
        user_generation=user.generation,
    )
    return created is not None


async def revoke_first_use(used: UsedCode, services: Services) -> None:
    """ "If an authorization code is used more than once, the authorization server ... SHOULD
    revoke (when possible) all tokens previously issued based on that authorization code"
    (RFC 6749 §4.1.2): its jti, in case the first use is still opening the session, and the
    session."""
    owner = used.first_session.owner if used.first_session is not None else None
    await services.revocations.revoke(owner, used.first_jti, lifetime_ms(services))
    if used.first_session is not None:
        await services.sessions.end(used.first_session)


class AuthorizationCodeGrant:
    grant_type: ClassVar[str] = GRANT_TYPE
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset({ClientKind.MARKETPLACE})
    stale_client_ok: ClassVar[bool] = False

    def requires_secret(self, client: Client) -> bool:
        return False  # a public client: PKCE binds the code to the browser that asked for it

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse:
        redemption = parse_redemption(req)
        jti, sid = new_jti(), new_session_id()
        consumed: CodeResult = UNKNOWN_CODE
        if redemption.well_formed:
            consumed = await services.login_codes.consume(
                code_digest(redemption.code), jti=jti, sid=sid
            )
        record = consumed.record if isinstance(consumed, FreshCode) else None
        user = operator = None
        if record is not None:
            user, operator = await asyncio.gather(
                services.users.get(record.user_id), services.operators.get(record.operator_id)
            )
        outcome = decide(
            redemption,
            consumed,
            user=user,
            operator_active=operator is not None and not operator.disabled,
        )
        first = None
        if isinstance(consumed, UsedCode):
            first = consumed.first_session
            await revoke_first_use(consumed, services)
        ref = SessionRef(Owner.user(user.user_id), sid) if user is not None else None
        if outcome is Outcome.ISSUED and user is not None and ref is not None:
            if not await open_session(services, ref, client.client_id, user):
                outcome = Outcome.USER_DISABLED  # disabled, deleted or logged out meanwhile
        audit.record(
            log,
            Event.TOKEN,
            operator=record.operator_id if record else None,
            user=record.user_id if record else (first.owner.id if first else None),
            app=client.client_id,
            outcome=outcome,
        )
        if outcome is not Outcome.ISSUED or record is None or ref is None:
            raise refusal(outcome)
        services.outcomes.report(SessionEvent.CREATED)
        context.annotate(user_id=record.user_id, session=str(ref))
        claims = login_as_claims(
            record,
            issuer=services.jwt.issuer,
            audience=services.jwt.audience,
            jti=jti,
            now=services.clock(),
            session_ref=str(ref),
        )
        return login_as_response(services.jwt.sign(claims))
