"""Facebook user access tokens checked with the Graph API's ``debug_token`` then ``/me``."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from typing import Any

import aiohttp
import structlog

from .config import FacebookIdp
from .errors import IdpUnavailable, InvalidIdpToken
from .fetch import FETCH_BUDGET, get_json
from .identity import VerifiedIdentity

log = structlog.get_logger("tokenhouse.idp")

TOKEN_RE = re.compile(r"[!-~]{1,4096}")  # visible ASCII: what an access token is made of
GRAPH_LIMIT = 64 * 1024
# Graph answers 400 with {"error": {...}} for a token it refuses (expired, revoked, malformed).
REFUSED = frozenset({200, 400, 401, 403})


def _graph_error(status: int, body: Any) -> int | None:
    """The Graph error code of a refusal (an ``{"error": {...}}`` body), else None."""
    if status == 200 or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    code = body["error"].get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


class FacebookVerifier:
    """Verify user access tokens of one Facebook app."""

    def __init__(
        self,
        idp: FacebookIdp,
        session: aiohttp.ClientSession,
        *,
        production: bool,
        budget: float = FETCH_BUDGET,
    ) -> None:
        self.idp = idp
        self._session = session
        self._production = production
        self._budget = budget
        self._graph = idp.graph_url.rstrip("/")

    async def verify(self, token: str, idp_client_id: str) -> VerifiedIdentity:
        """The Facebook user a valid token of this app belongs to (e-mails count as verified).

        Raises InvalidIdpToken (the token is bad) or IdpUnavailable (Graph cannot be asked).
        """
        if idp_client_id != self.idp.client_id:
            raise self._invalid("idp_client_id is not this provider's app id")
        if not TOKEN_RE.fullmatch(token):
            raise self._invalid("malformed token")
        deadline = time.monotonic() + self._budget
        try:
            async with asyncio.timeout(self._budget):
                user_id = await self._debug_token(token, deadline)
                return await self._me(token, user_id, deadline)
        except TimeoutError:
            raise IdpUnavailable("identity provider did not answer in time") from None

    async def _get(self, path: str, params: dict[str, str], deadline: float) -> Any:
        status, body = await get_json(
            self._session,
            f"{self._graph}/{path}",
            params=params,
            production=self._production,
            within=max(deadline - time.monotonic(), 0.01),
            limit=GRAPH_LIMIT,
            accept_statuses=REFUSED,
        )
        code = _graph_error(status, body)
        if code is not None:
            raise self._invalid(f"graph refused the token on {path} (error code {code})")
        if status != 200:
            raise IdpUnavailable(f"identity provider answered HTTP {status}")
        if not isinstance(body, dict):
            raise IdpUnavailable("identity provider answered JSON of the wrong shape")
        return body

    async def _debug_token(self, token: str, deadline: float) -> str:
        """The user id of a valid token issued to this app."""
        app_token = f"{self.idp.client_id}|{self.idp.client_secret}"
        body = await self._get(
            "debug_token", {"input_token": token, "access_token": app_token}, deadline
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise IdpUnavailable("identity provider answered JSON of the wrong shape")
        if data.get("is_valid") is not True:
            raise self._invalid("graph says the token is not valid")
        if str(data.get("app_id")) != self.idp.client_id:
            raise self._invalid("the token belongs to another app")
        user_id = data.get("user_id")
        if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id):
            raise self._invalid("the token names no user")
        return str(user_id)

    async def _me(self, token: str, user_id: str, deadline: float) -> VerifiedIdentity:
        """``/me``: the user's id (which must be the token's) and e-mail."""
        # appsecret_proof: required when the app enables "Require App Secret", harmless otherwise.
        proof = hmac.new(
            self.idp.client_secret.encode(), token.encode(), hashlib.sha256
        ).hexdigest()
        body = await self._get(
            "me",
            {"fields": "id,email", "access_token": token, "appsecret_proof": proof},
            deadline,
        )
        if str(body.get("id")) != user_id:
            raise self._invalid("/me names another user than debug_token")
        email = body.get("email")
        if not isinstance(email, str) or not 0 < len(email) <= 320:
            email = None
        return VerifiedIdentity(self.idp.id, user_id, email, email is not None)

    def _invalid(self, reason: str) -> InvalidIdpToken:
        log.info("idp.token_rejected", idp=self.idp.id, kind="facebook", reason=reason)
        return InvalidIdpToken(reason)
