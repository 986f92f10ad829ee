"""One entry point that verifies a token with whichever kind of provider it names."""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from .config import FacebookIdp, IdpConfig, OidcIdp
from .facebook import FacebookVerifier
from .identity import VerifiedIdentity
from .oidc import OidcVerifier

MAX_PROVIDERS = 256  # verifiers (and their key caches) kept per process


class IdpVerifier:
    """Verifiers per provider configuration, so each provider's keys are cached across logins.

    A changed configuration (another issuer or client id) is a new value, hence a new verifier
    with an empty key cache.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        production: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._production = production
        self._clock = clock
        self._verifiers: dict[IdpConfig, OidcVerifier | FacebookVerifier] = {}

    def verifier_for(self, idp: IdpConfig) -> OidcVerifier | FacebookVerifier:
        """The verifier of this configuration, built on first use."""
        verifier = self._verifiers.get(idp)
        if verifier is None:
            if len(self._verifiers) >= MAX_PROVIDERS:
                self._verifiers.clear()
            verifier = self._build(idp)
            self._verifiers[idp] = verifier
        return verifier

    def _build(self, idp: IdpConfig) -> OidcVerifier | FacebookVerifier:
        if isinstance(idp, OidcIdp):
            return OidcVerifier(idp, self._session, production=self._production, clock=self._clock)
        assert isinstance(idp, FacebookIdp)
        return FacebookVerifier(idp, self._session, production=self._production)

    async def verify(self, idp: IdpConfig, idp_client_id: str, token: str) -> VerifiedIdentity:
        """The identity in ``token``; InvalidIdpToken or IdpUnavailable otherwise."""
        return await self.verifier_for(idp).verify(token, idp_client_id)
