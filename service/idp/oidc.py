"""OpenID Connect ID tokens verified with the keys the issuer publishes (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from ..crypto.jwt import InvalidJwt, foreign_header, verify_foreign
from .config import OidcIdp
from .errors import IdpUnavailable, InvalidIdpToken
from .fetch import FETCH_BUDGET, get_json
from .identity import VerifiedIdentity
from .keys import REFETCH_INTERVAL, KeyCache

log = structlog.get_logger("tokenhouse.idp")

ALGORITHMS = ("RS256", "ES256")
LEEWAY = 60  # seconds of skew allowed on exp and iat: the provider's clock is not ours
DISCOVERY_LIMIT = 64 * 1024
MAX_SUB = 255  # OIDC Core §2: sub MUST NOT exceed 255 ASCII characters
MAX_EMAIL = 320
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §2.1


def discovery_url(issuer: str) -> str:
    """``<issuer>/.well-known/openid-configuration``, minus a trailing slash (Discovery §4)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _audience_has(aud: Any, client_id: str) -> bool:
    """``aud`` is the client id, or a list of strings that contains it (OIDC Core §2)."""
    if isinstance(aud, str):
        return aud == client_id
    return isinstance(aud, list) and all(isinstance(a, str) for a in aud) and client_id in aud


def _text(claims: dict[str, Any], name: str, limit: int) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


class OidcVerifier:
    """Verify ID tokens of one OIDC provider; its keys stay cached between tokens."""

    def __init__(
        self,
        idp: OidcIdp,
        session: aiohttp.ClientSession,
        *,
        production: bool,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        refetch_interval: float = REFETCH_INTERVAL,
        budget: float = FETCH_BUDGET,
    ) -> None:
        self.idp = idp
        self._session = session
        self._production = production
        self._clock = clock
        self._budget = budget
        self.keys = KeyCache(
            self._load_jwks, name=idp.id, interval=refetch_interval, monotonic=monotonic
        )

    async def _load_jwks(self) -> Any:
        """Discovery, then the JWKS its ``jwks_uri`` names, within one time budget."""
        deadline = time.monotonic() + self._budget
        try:
            async with asyncio.timeout(self._budget):
                _, config = await get_json(
                    self._session,
                    discovery_url(self.idp.issuer),
                    production=self._production,
                    within=self._budget,
                    limit=DISCOVERY_LIMIT,
                )
                if not isinstance(config, dict) or not isinstance(config.get("jwks_uri"), str):
                    raise IdpUnavailable("identity provider discovery names no jwks_uri")
                if config.get("issuer") != self.idp.issuer:
                    # OIDC Discovery §4.3: the issuer returned MUST be identical to the one used.
                    raise IdpUnavailable("identity provider discovery names another issuer")
                _, jwks = await get_json(
                    self._session,
                    config["jwks_uri"],
                    production=self._production,
                    within=max(deadline - time.monotonic(), 0.01),
                )
                return jwks
        except TimeoutError:
            raise IdpUnavailable("identity provider did not answer in time") from None

    async def verify(self, token: str, idp_client_id: str) -> VerifiedIdentity:
        """The identity in a valid ID token issued to ``idp_client_id``.

        Raises InvalidIdpToken (the token is bad) or IdpUnavailable (its keys cannot be had).
        """
        if idp_client_id not in self.idp.client_ids:
            raise self._invalid("idp_client_id is not a client of this provider")
        try:
            header = foreign_header(token)
        except InvalidJwt as exc:
            raise self._invalid(str(exc)) from None
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise self._invalid("the header names no kid")
        if str(header.get("typ", "")).lower() in ACCESS_TOKEN_TYPES:
            raise self._invalid("an access token, not an ID token")
        key = await self.keys.get(kid)
        if key is None:
            raise self._invalid("unknown kid")
        try:
            claims = verify_foreign(
                token, key, algorithms=ALGORITHMS, now=self._clock(), leeway=LEEWAY
            )
        except InvalidJwt as exc:
            raise self._invalid(str(exc)) from None
        return self._identity(claims, idp_client_id)

    def _identity(self, claims: dict[str, Any], idp_client_id: str) -> VerifiedIdentity:
        if claims.get("iss") != self.idp.issuer:
            raise self._invalid("wrong issuer")
        if not _audience_has(claims.get("aud"), idp_client_id):
            raise self._invalid("aud does not contain idp_client_id")
        sub = _text(claims, "sub", MAX_SUB)
        if sub is None:
            raise self._invalid("missing or malformed sub")
        email = _text(claims, "email", MAX_EMAIL)
        # Some providers send the boolean as a string.
        flag = claims.get("email_verified")
        verified = email is not None and (flag is True or flag == "true")
        return VerifiedIdentity(self.idp.id, sub, email, verified)

    def _invalid(self, reason: str) -> InvalidIdpToken:
        log.info("idp.token_rejected", idp=self.idp.id, kind="oidc", reason=reason)
        return InvalidIdpToken(reason)
