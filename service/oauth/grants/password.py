"""Resource owner password credentials grant: RFC 6749 §4.3.

Kept for Sharetribe compatibility although RFC 9700 §2.4 says it MUST NOT be used. Unknown
user, disabled user and wrong password give the same answer after the same argon2 work. The
session is created in one store step with a check of the user's state, so a login whose
password check overlaps with "end all sessions" (disable, delete, password change) creates none.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

import structlog

from ... import context
from ...errors import ErrorCode, OAuthError, StoreUnavailable
from ...models import Client, ClientKind, TokenRequest, TokenResponse
from ...owners import Owner
from .. import throttle
from ..scopes import USER, grant_scope
from ..services import Services
from ..sessions import open_session
from .base import required

log = structlog.get_logger("tokenhouse.password")


class PasswordGrant:
    grant_type: ClassVar[str] = "password"
    client_kinds: ClassVar[frozenset[ClientKind]] = frozenset({ClientKind.MARKETPLACE})
    stale_client_ok: ClassVar[bool] = False

    def requires_secret(self, client: Client) -> bool:
        return False

    async def exchange(
        self, req: TokenRequest, client: Client, services: Services
    ) -> TokenResponse:
        username = required(req, "username")
        password = required(req, "password")
        scope = grant_scope(req.get("scope"), USER)
        # Counted before argon2 (and before shedding), so parallel attempts cannot pass the
        # limit; an attempt shed with 503 stays counted.
        attempt = await throttle.count_login(services, username, req.source)
        try:
            response = await self._login(req, client, services, username, password, scope)
        except asyncio.CancelledError:  # the client left: the attempt is given back
            throttle.login_abandoned(services, attempt)
            raise
        except BaseException:
            with contextlib.suppress(StoreUnavailable):  # the in-flight mark expires by itself
                await throttle.login_failed(services, attempt)
            raise
        await throttle.login_succeeded(services, attempt)
        return response

    async def _login(
        self,
        req: TokenRequest,
        client: Client,
        services: Services,
        username: str,
        password: str,
        scope: str,
    ) -> TokenResponse:
        services.hasher.admit()  # shed before any other store work when argon2 is swamped
        users = services.users
        user_id = await users.find_id(username)
        user = await users.get(user_id) if user_id else None
        ok = await services.hasher.verify(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            raise OAuthError(
                ErrorCode.INVALID_GRANT, "Invalid username or password.", detail="bad credentials"
            )

        context.annotate(user_id=user.user_id)
        if services.hasher.needs_rehash(user.password_hash):
            new_hash = await services.hasher.hash_async(password)
            # A compare-and-set: a password changed meanwhile is never undone.
            if await users.replace_password_hash(user.user_id, user.password_hash, new_hash):
                log.info("password.rehashed", user_id=user.user_id)

        response = await open_session(
            services,
            owner=Owner.user(user.user_id),
            client_id=client.client_id,
            scope=scope,
            user_generation=user.generation,
        )
        if response is None:  # disabled, deleted or logged out everywhere while argon2 ran
            raise OAuthError(
                ErrorCode.INVALID_GRANT,
                "Invalid username or password.",
                detail="the user changed during the login",
            )
        return response
