"""Operations on identity providers: add, read, list, remove (which unlinks their users).

A Facebook app id is digits only; an OIDC provider has 1 to 20 client ids; an ``http://``
issuer or Graph URL is refused in production. A Facebook app secret is sealed under the
server key by the store and never shown again: without a server key none can be added.
"""

from __future__ import annotations

import re

from ..errors import SecretsUnavailable
from ..idp.config import FacebookIdp, IdpConfig, OidcIdp, validate
from ..idp.errors import IdpConfigError
from ..store.protocols import IdpStore, UserStore
from ..store.records import IdpRecord
from .errors import Conflict, Invalid, NotFound
from .rules import check_idp_id

MAX_CLIENT_IDS = 20
MAX_URL = 2048
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,255}")
_FACEBOOK_APP_ID = re.compile(r"[0-9]{1,32}")
_SECRET = re.compile(r"[\x21-\x7e]{1,255}")
NO_IDP = "No such identity provider."


def check_idp(idp: IdpConfig, *, production: bool) -> IdpConfig:
    """The provider's configuration as the admin API and the CLI accept it."""
    check_idp_id(idp.id)
    if isinstance(idp, OidcIdp):
        if not 1 <= len(idp.client_ids) <= MAX_CLIENT_IDS:
            raise Invalid(f"an OIDC provider has 1 to {MAX_CLIENT_IDS} client ids")
        if len(set(idp.client_ids)) != len(idp.client_ids):
            raise Invalid("a client id is listed twice")
        if not all(_CLIENT_ID.fullmatch(c) for c in idp.client_ids):
            raise Invalid("a client id has 1 to 255 visible ASCII characters")
        url = idp.issuer
    else:
        if not _FACEBOOK_APP_ID.fullmatch(idp.client_id):
            raise Invalid("a Facebook app id is digits only")
        if not _SECRET.fullmatch(idp.client_secret):
            raise Invalid("a Facebook app secret has 1 to 255 visible ASCII characters")
        url = idp.graph_url
    if len(url) > MAX_URL:
        raise Invalid(f"a provider's URL has at most {MAX_URL} characters")
    try:
        validate(idp, production=production)
    except IdpConfigError as exc:
        # "identity provider '<id>': <problems>": the problems state rules, the prefix quotes
        raise Invalid(str(exc).partition(": ")[2] or "the provider is malformed") from None
    return idp


class Idps:
    def __init__(self, idps: IdpStore, users: UserStore, *, production: bool = False) -> None:
        self.idps = idps
        self.users = users
        self.production = production

    async def create(self, idp: IdpConfig) -> IdpRecord:
        check_idp(idp, production=self.production)
        try:
            created = await self.idps.create(idp)
        except SecretsUnavailable as exc:
            raise Invalid(
                "a Facebook app secret cannot be stored: the server has no server key "
                "(TOKENHOUSE_SECRETS__SERVER_KEY)"
            ) from exc
        if not created:
            raise Conflict(
                f"an identity provider {idp.id} exists",
                public="An identity provider with this id exists.",
            )
        return await self.get(idp.id)

    async def get(self, idp_id: str) -> IdpRecord:
        record = await self.idps.get(idp_id)
        if record is None:
            raise NotFound(f"no identity provider {idp_id}", public=NO_IDP)
        return record

    async def list(self) -> list[IdpRecord]:
        return await self.idps.list()

    async def delete(self, idp_id: str) -> int:
        """Remove the provider and unlink every user's account there (users, their other
        identities and their sessions stay); how many accounts were unlinked."""
        if not await self.idps.delete(idp_id):
            raise NotFound(f"no identity provider {idp_id}", public=NO_IDP)
        return await self.users.unlink_all(idp_id)


__all__ = ["FacebookIdp", "IdpRecord", "Idps", "OidcIdp", "check_idp"]
