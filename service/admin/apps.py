"""Operations on applications (OAuth clients): create, read, update, rotate a secret, delete.

Secrets are random (256 bits), returned once and stored only as argon2id hashes. A client id
is what its integration refresh tokens can carry, and a deleted app's id never comes back
(sessions and tokens elsewhere may still name it).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..loginas.redirect_uris import redirect_uri_problem
from ..models import Client, ClientKind
from ..owners import Owner
from ..store.protocols import ClientStore, SessionStore
from .errors import Conflict, Invalid, NotFound

SECRET_BYTES = 32
MAX_NAME = 200
MAX_REDIRECT_URIS = 20
_NAME = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,200}")
NO_APP = "No such app."


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


@dataclass(frozen=True)
class NewApp:
    """A created app and, when it has one, its secret: shown once, never stored in clear."""

    client: Client
    secret: str | None


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise Invalid(f"an app's name has 1 to {MAX_NAME} characters and no control characters")
    return name


def check_redirect_uris(
    kind: ClientKind, uris: Sequence[str], *, production: bool
) -> tuple[str, ...]:
    """The app's redirect URIs for log in as a user: exact, absolute, https in production
    (RFC 6749 §3.1.2), marketplace apps only."""
    if uris and kind is not ClientKind.MARKETPLACE:
        raise Invalid("only marketplace apps have redirect URIs")
    if len(uris) > MAX_REDIRECT_URIS:
        raise Invalid(f"an app has at most {MAX_REDIRECT_URIS} redirect URIs")
    if len(set(uris)) != len(uris):
        raise Invalid("a redirect URI is listed twice")
    for uri in uris:
        problem = redirect_uri_problem(uri, https_only=production)
        if problem is not None:
            raise Invalid(problem)
    return tuple(uris)


class Apps:
    def __init__(
        self,
        clients: ClientStore,
        sessions: SessionStore,
        hasher: SecretHasher,
        *,
        production: bool = False,
    ) -> None:
        self.clients = clients
        self.sessions = sessions
        self.hasher = hasher
        self.production = production

    async def create(
        self,
        kind: ClientKind,
        name: str,
        *,
        with_secret: bool | None = None,
        client_id: str | None = None,
        redirect_uris: Sequence[str] = (),
    ) -> NewApp:
        """A new app (a new UUID unless ``client_id`` is given); integration apps always get a
        secret, marketplace apps when asked (``with_secret`` None: the kind's default)."""
        if client_id is not None and not Owner.valid_id(client_id):
            raise Invalid("a client id is 1 to 64 letters, digits or hyphens")
        if kind is ClientKind.INTEGRATION and with_secret is False:
            raise Invalid("an integration app always has a secret")
        check_name(name)
        uris = check_redirect_uris(kind, redirect_uris, production=self.production)
        secret = new_secret() if with_secret or kind is ClientKind.INTEGRATION else None
        secret_hash = await self.hasher.hash_async(secret) if secret else ""
        client = Client(client_id or str(uuid.uuid4()), kind, name, secret_hash, uris)
        if not await self.clients.create(client):
            if await self.clients.is_deleted(client.client_id):
                raise Conflict(
                    f"client id {client.client_id} belonged to a deleted app",
                    public="The client id belonged to a deleted app.",
                )
            raise Conflict(f"client {client.client_id} exists", public="The client id is taken.")
        stored = await self.clients.get(client.client_id)
        return NewApp(stored or client, secret)

    async def get(self, client_id: str) -> Client:
        client = await self.clients.get(client_id)
        if client is None:
            raise NotFound(f"no client {client_id}", public=NO_APP)
        return client

    async def list(self) -> list[Client]:
        return await self.clients.list()

    async def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: Sequence[str] | None = None,
    ) -> Client:
        """Rename the app or replace its redirect URIs (the whole list); kind and secret stay."""
        if name is not None:
            check_name(name)
        uris = None
        if redirect_uris is not None:
            current = await self.get(client_id)
            uris = check_redirect_uris(current.kind, redirect_uris, production=self.production)
        updated = await self.clients.update(client_id, name=name, redirect_uris=uris)
        if updated is None:
            raise NotFound(f"no client {client_id}", public=NO_APP)
        return updated

    async def rotate_secret(self, client_id: str) -> str:
        """A new secret for the app (the old one stops working once caches expire)."""
        secret = new_secret()
        if not await self.clients.set_secret(client_id, await self.hasher.hash_async(secret)):
            raise NotFound(f"no client {client_id}", public=NO_APP)
        return secret

    async def delete(self, client_id: str) -> None:
        """Delete the app (its id stays taken) and end its integration sessions."""
        found = await self.clients.delete(client_id)
        if Owner.valid_id(client_id):
            await self.sessions.end_all(Owner.client(client_id))
        if not found:
            raise NotFound(f"no client {client_id}", public=NO_APP)
