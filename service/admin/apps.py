"""Operations on applications (OAuth clients): create, list, rotate a secret, delete.

Secrets are random (256 bits), returned once and stored only as argon2id hashes. A client id
is what its integration refresh tokens can carry, and a deleted app's id never comes back
(sessions and tokens elsewhere may still name it).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from ..crypto.hashing import SecretHasher
from ..models import Client, ClientKind
from ..owners import Owner
from ..store.protocols import ClientStore, SessionStore
from .errors import Conflict, Invalid, NotFound

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


@dataclass(frozen=True)
class NewApp:
    """A created app and, when it has one, its secret: shown once, never stored in clear."""

    client: Client
    secret: str | None


class Apps:
    def __init__(self, clients: ClientStore, sessions: SessionStore, hasher: SecretHasher) -> None:
        self.clients = clients
        self.sessions = sessions
        self.hasher = hasher

    async def create(
        self,
        kind: ClientKind,
        name: str,
        *,
        with_secret: bool = False,
        client_id: str | None = None,
    ) -> NewApp:
        """A new app (a new UUID unless ``client_id`` is given); integration apps always get a
        secret, marketplace apps when asked."""
        if client_id is not None and not Owner.valid_id(client_id):
            raise Invalid("a client id is 1 to 64 letters, digits or hyphens")
        secret = new_secret() if with_secret or kind is ClientKind.INTEGRATION else None
        secret_hash = await self.hasher.hash_async(secret) if secret else ""
        client = Client(client_id or str(uuid.uuid4()), kind, name, secret_hash)
        if not await self.clients.create(client):
            if await self.clients.is_deleted(client.client_id):
                raise Conflict(f"client id {client.client_id} belonged to a deleted app")
            raise Conflict(f"client {client.client_id} exists")
        return NewApp(client, secret)

    async def get(self, client_id: str) -> Client:
        client = await self.clients.get(client_id)
        if client is None:
            raise NotFound(f"no client {client_id}")
        return client

    async def list(self) -> list[Client]:
        return await self.clients.list()

    async def rotate_secret(self, client_id: str) -> str:
        """A new secret for the app (the old one stops working once caches expire)."""
        secret = new_secret()
        if not await self.clients.set_secret(client_id, await self.hasher.hash_async(secret)):
            raise NotFound(f"no client {client_id}")
        return secret

    async def delete(self, client_id: str) -> None:
        """Delete the app (its id stays taken) and end its integration sessions."""
        found = await self.clients.delete(client_id)
        await self.sessions.end_all(Owner.client(client_id))
        if not found:
            raise NotFound(f"no client {client_id}")
