"""Application records in Redis hashes (``store/keys.py``); a deleted client leaves a tombstone."""

from __future__ import annotations

import json
import time
from typing import Any

from ...models import Client, ClientKind
from ..keys import Keys
from .runner import Runner, fields_of, pairs, text


def _redirect_uris(raw: str) -> tuple[str, ...]:
    """The stored JSON list of redirect URIs; an unreadable value registers none."""
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


class RedisClients:
    """ClientStore on Redis: one hash per client."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def get(self, client_id: str) -> Client | None:
        key = self.keys.client(client_id)
        raw = await self.runner.run("get_client", lambda: self.runner.redis.hgetall(key))
        if not raw:
            return None
        data = fields_of(raw)
        if "deleted" in data:  # the tombstone of a deleted client
            return None
        return Client(
            client_id=client_id,
            kind=ClientKind(data.get("kind", "marketplace")),
            name=data.get("name", ""),
            secret_hash=data.get("secret", ""),
            redirect_uris=_redirect_uris(data.get("redirect_uris", "")),
            created=int(data.get("created", "0") or 0),
        )

    @staticmethod
    def _fields(client: Client) -> dict[str, Any]:
        return {
            "kind": client.kind.value,
            "name": client.name,
            "secret": client.secret_hash,
            "redirect_uris": json.dumps(list(client.redirect_uris)),
            "created": client.created or int(time.time()),
        }

    async def create(self, client: Client) -> bool:
        args = pairs(self._fields(client))
        keys = [self.keys.client(client.client_id)]
        return bool(await self.runner.script("hash_create", keys, args))

    async def is_deleted(self, client_id: str) -> bool:
        key = self.keys.client(client_id)
        return bool(
            await self.runner.run("get_client", lambda: self.runner.redis.hexists(key, "deleted"))
        )

    async def save(self, client: Client) -> None:
        key, mapping = self.keys.client(client.client_id), self._fields(client)
        await self.runner.run("save_client", lambda: self.runner.redis.hset(key, mapping=mapping))

    async def _update(self, client_id: str, fields: dict[str, Any]) -> bool:
        keys = [self.keys.client(client_id)]
        return bool(await self.runner.script("update_client", keys, pairs(fields)))

    async def set_secret(self, client_id: str, secret_hash: str) -> bool:
        return await self._update(client_id, {"secret": secret_hash})

    async def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: tuple[str, ...] | None = None,
    ) -> Client | None:
        fields: dict[str, Any] = {}
        if name is not None:
            fields["name"] = name
        if redirect_uris is not None:
            fields["redirect_uris"] = json.dumps(list(redirect_uris))
        if fields and not await self._update(client_id, fields):
            return None
        return await self.get(client_id)

    async def delete(self, client_id: str) -> bool:
        keys = [self.keys.client(client_id)]
        return bool(await self.runner.script("delete_client", keys, [int(time.time())]))

    async def list(self) -> list[Client]:
        ids = []
        prefix_len = len(self.keys.client(""))

        async def scan() -> None:
            pattern = self.keys.client_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(text(key)[prefix_len:])

        await self.runner.run("list_clients", scan)
        clients = [await self.get(i) for i in sorted(ids)]
        return [c for c in clients if c is not None]
