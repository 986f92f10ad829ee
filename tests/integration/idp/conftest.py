"""IdP tier: the verifiers against the local identity provider over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from service.idp.config import FacebookIdp, OidcIdp
from service.idp.facebook import FacebookVerifier
from service.idp.fetch import new_session
from service.idp.oidc import OidcVerifier

from ...idp_server import LocalIdp
from ...social import SECOND_CLIENT, Social

# A behaviour bound for "about 2 s" (the fetch budget), generous for a loaded 2-core box.
UNAVAILABLE_BOUND = 3.5


class Ticker:
    """A monotonic clock for the key cache's refetch interval that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def idp() -> AsyncIterator[LocalIdp]:
    """A running local IdP on a free loopback port."""
    async with LocalIdp() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The service's own outbound session (timeouts, no cookies, no proxy)."""
    async with new_session() as s:
        yield s


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def oidc_config(idp: LocalIdp) -> OidcIdp:
    return OidcIdp("local", idp.issuer, (idp.client_id, SECOND_CLIENT))


@pytest.fixture
def oidc(oidc_config: OidcIdp, session: aiohttp.ClientSession, ticker: Ticker) -> OidcVerifier:
    """A verifier of the local IdP (not production: its issuer is http on loopback)."""
    return OidcVerifier(oidc_config, session, production=False, monotonic=ticker)


@pytest.fixture
def facebook_config(idp: LocalIdp) -> FacebookIdp:
    return FacebookIdp("facebook", idp.fb_app_id, idp.fb_app_secret, graph_url=idp.graph_url)


@pytest.fixture
def facebook(facebook_config: FacebookIdp, session: aiohttp.ClientSession) -> FacebookVerifier:
    return FacebookVerifier(facebook_config, session, production=False)


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    with capture_logs() as entries:
        yield entries


def assert_no_token_text(token: str, error: BaseException, logs: list[dict[str, Any]]) -> None:
    """Neither the error (nor what it chains) nor any log event carries any part of the token."""
    parts = [p for p in token.split(".") if len(p) >= 8] or [token]
    texts = [str(error), repr(error), repr(error.__cause__), repr(error.__context__), repr(logs)]
    for text in texts:
        assert not any(p in text for p in parts), text


@pytest.fixture
async def social(client: TestClient, idp: LocalIdp) -> Social:
    """The real app on real Redis with the local IdP configured (OIDC and Facebook)."""
    return await Social.configure(client, idp)
