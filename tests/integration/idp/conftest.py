"""IdP tier: the verifiers against the local identity provider over real HTTP on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from service.idp.config import FacebookIdp, OidcIdp
from service.idp.facebook import FacebookVerifier
from service.idp.fetch import new_session
from service.idp.oidc import OidcVerifier
from service.models import Client, Identity, User
from service.owners import Owner
from service.store.redis import RedisBackend

from ...factories import make_client, store_of
from ...flows import AUTH_WITH_IDP, idp_form
from ...idp_server import LocalIdp

# A behaviour bound for "about 2 s" (the fetch budget), generous for a loaded 2-core box.
UNAVAILABLE_BOUND = 3.5
SECOND_CLIENT = "second-client"


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


# ---- POST /v1/auth/auth_with_idp on the real app (real Redis) with this IdP configured ----

MARKETPLACE_SECRET = "marketplace-secret"
OIDC_ID = "local"
FACEBOOK_ID = "facebook"


@dataclass
class Social:
    """The app (real Redis) with the local IdP configured as ``local`` (OIDC) and ``facebook``,
    a marketplace app with a secret, and one call: the SDK's loginWithIdp form."""

    client: TestClient
    store: RedisBackend
    idp: LocalIdp
    app: Client

    async def login(
        self,
        token: str,
        *,
        idp_id: str = OIDC_ID,
        idp_client_id: str | None = None,
    ) -> tuple[int, Any, Any]:
        """(status, JSON body, response) of POST /v1/auth/auth_with_idp."""
        if idp_client_id is None:
            idp_client_id = self.idp.fb_app_id if idp_id == FACEBOOK_ID else self.idp.client_id
        form = idp_form(self.app.client_id, MARKETPLACE_SECRET, idp_id, idp_client_id, token)
        async with self.client.post(AUTH_WITH_IDP, data=form) as resp:
            assert resp.content_type == "application/json"
            return resp.status, await resp.json(), resp

    async def user(
        self,
        *,
        email: str | None = None,
        email_verified: bool = True,
        identities: tuple[Identity, ...] = (),
        disabled: bool = False,
    ) -> User:
        """A user stored as the admin API stores one."""
        user = User(
            str(uuid.uuid4()),
            email or f"{uuid.uuid4().hex[:8]}@example.com",
            "",
            disabled=disabled,
            email_verified=email_verified,
            identities=tuple(sorted(identities)),
        )
        assert await self.store.users.create(user)
        return user

    async def sessions(self, user: User) -> list[Any]:
        return await self.store.sessions.list(Owner.user(user.user_id))


@pytest.fixture
async def social(client: TestClient, idp: LocalIdp) -> Social:
    """The app with the local IdP configured (OIDC with two client ids, and Facebook)."""
    store = store_of(client)
    assert await store.idps.create(OidcIdp(OIDC_ID, idp.issuer, (idp.client_id, SECOND_CLIENT)))
    assert await store.idps.create(
        FacebookIdp(FACEBOOK_ID, idp.fb_app_id, idp.fb_app_secret, graph_url=idp.graph_url)
    )
    app = await make_client(store, secret=MARKETPLACE_SECRET)
    return Social(client, store, idp, app)
