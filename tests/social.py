"""Social login in tests: an app with the local IdP configured, and the SDK's loginWithIdp call.

For the unit tier (fakeredis) and the integration tier (real Redis) alike: both hand in the
aiohttp test client of an app and a running ``LocalIdp``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from service.idp.config import FacebookIdp, OidcIdp
from service.models import Client, Identity, User
from service.owners import Owner
from service.store.redis import RedisBackend

from .factories import make_client, store_of
from .flows import AUTH_WITH_IDP, idp_form
from .idp_server import LocalIdp
from .idp_tokens import hs256_with_public_key, impostor, unsigned

MARKETPLACE_SECRET = "marketplace-secret"
OIDC_ID = "local"
FACEBOOK_ID = "facebook"
SECOND_CLIENT = "second-client"
INVALID_TOKEN = {
    "error": "invalid_grant",
    "error_description": "The identity provider token is invalid.",
}
NO_USER = {"error": "invalid_grant", "error_description": "No user has this identity."}


SUB = "user-1"  # the linked user of the hostile-token cases


def hostile(idp: LocalIdp, case: str) -> tuple[str, str]:
    """(token, idp_client_id) of one failed check; the user ``user-1`` is linked, so only the
    token decides."""
    now = int(time.time())
    claims = idp.claims(sub=SUB)
    tokens = {
        "wrong iss": (idp.mint(iss="https://accounts.evil.example"), idp.client_id),
        "issuer with a trailing slash": (idp.mint(iss=idp.issuer + "/"), idp.client_id),
        "aud without idp_client_id": (idp.mint(aud=SECOND_CLIENT), idp.client_id),
        "aud list without idp_client_id": (idp.mint(aud=["a", "b"]), idp.client_id),
        "idp_client_id not configured": (idp.mint(aud="not-configured"), "not-configured"),
        "expired beyond 60 s": (idp.mint(iat=now - 600, exp=now - 90), idp.client_id),
        "iat in the future": (idp.mint(iat=now + 600, exp=now + 900), idp.client_id),
        "no exp": (idp.mint(exp=None), idp.client_id),
        "unknown kid": (idp.mint(header={"kid": "no-such-kid"}), idp.client_id),
        "alg none": (unsigned(idp.rs.kid, claims), idp.client_id),
        "HS256 keyed with the public key": (hs256_with_public_key(idp.rs, claims), idp.client_id),
        "HS256 keyed with the public JWK": (
            hs256_with_public_key(idp.rs, claims, form="jwk"),
            idp.client_id,
        ),
        "another key with the IdP's kid": (impostor(idp.rs.kid, claims), idp.client_id),
        "no sub": (idp.mint(sub=None), idp.client_id),
        "an access token (typ at+jwt)": (idp.mint(header={"typ": "at+jwt"}), idp.client_id),
        "a jku header": (idp.mint(header={"jku": "https://evil.example/jwks"}), idp.client_id),
        "not a JWT": ("not-a-jwt", idp.client_id),
    }
    return tokens[case]


HOSTILE = [
    "wrong iss",
    "issuer with a trailing slash",
    "aud without idp_client_id",
    "aud list without idp_client_id",
    "idp_client_id not configured",
    "expired beyond 60 s",
    "iat in the future",
    "no exp",
    "unknown kid",
    "alg none",
    "HS256 keyed with the public key",
    "HS256 keyed with the public JWK",
    "another key with the IdP's kid",
    "no sub",
    "an access token (typ at+jwt)",
    "a jku header",
    "not a JWT",
]


@dataclass
class Social:
    """An app with the local IdP configured as ``local`` (OIDC) and ``facebook``,
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

    @classmethod
    async def configure(cls, client: TestClient, idp: LocalIdp) -> Social:
        """The app's store given the IdP (OIDC with two client ids, and Facebook) and a
        marketplace app with a secret."""
        store = store_of(client)
        oidc = OidcIdp(OIDC_ID, idp.issuer, (idp.client_id, SECOND_CLIENT))
        assert await store.idps.create(oidc)
        assert await store.idps.create(
            FacebookIdp(FACEBOOK_ID, idp.fb_app_id, idp.fb_app_secret, graph_url=idp.graph_url)
        )
        return cls(client, store, idp, await make_client(store, secret=MARKETPLACE_SECRET))
