"""Operators' sign-in to the login-as pages, with the browser sessions it starts.

Sign-in is throttled by the password grant's policy (each attempt counted before argon2 runs)
and answers an unknown e-mail as a wrong password, after the same argon2 work. A session lives
``loginas.session.SESSION_TTL`` seconds; it is looked up by a digest of its id, and every
request through it checks that its operator still exists and is not disabled.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..errors import StoreUnavailable
from ..loginas.audit import Outcome
from ..loginas.operators import normalize_email, sign_in_outcome, throttle_name
from ..loginas.session import SESSION_TTL, is_session_id, new_session_id, session_digest
from ..models import Operator
from ..settings import ThrottleSettings
from ..store.protocols import LoginThrottle, OperatorSessionStore, OperatorStore
from ..throttling import (
    LoginThrottling,
    Throttled,
    WaitingLines,
    attempt_abandoned,
    attempt_failed,
    attempt_succeeded,
    count_attempt,
)


@dataclass(frozen=True)
class SignIn:
    """How a sign-in ended: ``SIGNED_IN`` with a new session id, or why not.

    ``operator`` is the account the e-mail named, when there is one (for the audit log only:
    the page says the same for an unknown e-mail as for a wrong password).
    """

    outcome: Outcome
    operator: Operator | None = None
    session_id: str | None = None
    retry_after: int | None = None


class OperatorSessions:
    def __init__(
        self,
        operators: OperatorStore,
        sessions: OperatorSessionStore,
        throttle: LoginThrottle,
        limits: ThrottleSettings,
        hasher: SecretHasher,
        lines: WaitingLines | None = None,
    ) -> None:
        self.operators = operators
        self.sessions = sessions
        self.throttling = LoginThrottling(throttle, limits, lines or WaitingLines())
        self.hasher = hasher

    async def sign_in(
        self, email: str, password: str, *, source: str, replacing: str | None = None
    ) -> SignIn:
        """Check the e-mail and password; on success end the browser's previous session
        (``replacing``) and start a new one under a new id (no session fixation)."""
        counted = await count_attempt(self.throttling, throttle_name(email), source)
        if isinstance(counted, Throttled):
            return SignIn(Outcome.THROTTLED, retry_after=counted.retry_after)
        try:
            signed = await self._check(email, password, replacing)
        except asyncio.CancelledError:  # the browser left: the attempt is given back
            attempt_abandoned(self.throttling, counted)
            raise
        except BaseException:
            with contextlib.suppress(StoreUnavailable):  # the in-flight mark expires by itself
                await attempt_failed(self.throttling, counted)
            raise
        if signed.outcome is Outcome.SIGNED_IN:
            await attempt_succeeded(self.throttling, counted)
        else:
            await attempt_failed(self.throttling, counted)
        return signed

    async def _check(self, email: str, password: str, replacing: str | None) -> SignIn:
        self.hasher.admit()  # shed with 503 before any store work when argon2 is swamped
        try:
            operator = await self.operators.find(normalize_email(email))
        except ValueError:
            operator = None
        ok = await self.hasher.verify(operator.password_hash if operator else None, password)
        outcome = sign_in_outcome(operator, ok)
        if outcome is not Outcome.SIGNED_IN or operator is None:
            return SignIn(outcome, operator)
        session_id = new_session_id()
        digest = session_digest(session_id)
        if not await self.sessions.start(digest, operator.operator_id, SESSION_TTL * 1000):
            return SignIn(Outcome.OPERATOR_DISABLED, operator)  # disabled while argon2 ran
        if replacing is not None and is_session_id(replacing):
            await self.sessions.end(session_digest(replacing))
        return SignIn(Outcome.SIGNED_IN, operator, session_id)

    async def current(self, session_id: str | None) -> Operator | None:
        """The operator signed in with this session id, if the session lives and the operator
        may act; None otherwise (an ill-formed id costs no store round trip)."""
        if session_id is None or not is_session_id(session_id):
            return None
        return await self.sessions.operator(session_digest(session_id))

    async def sign_out(self, session_id: str | None) -> None:
        """End the session (nothing happens for an ill-formed or unknown id)."""
        if session_id is not None and is_session_id(session_id):
            await self.sessions.end(session_digest(session_id))
