"""Identity-provider records in Redis hashes; a Facebook app secret is kept sealed (AES-GCM)."""

from __future__ import annotations

import json
import time
from typing import Any

from ...crypto.sealing import Sealer
from ...errors import SecretsUnavailable
from ...idp.config import DEFAULT_GRAPH_URL, FacebookIdp, IdpConfig, OidcIdp
from ..keys import Keys
from ..records import IdpRecord
from .runner import Runner, fields_of, pairs, text

NO_KEY = (
    "no server key is configured (TOKENHOUSE_SECRETS__SERVER_KEY or _FILE): "
    "Facebook app secrets cannot be sealed or opened"
)


def _client_ids(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


class RedisIdps:
    """IdpStore on Redis: ``<p>idp:<id>`` hashes."""

    def __init__(self, runner: Runner, keys: Keys, sealer: Sealer | None = None) -> None:
        self.runner = runner
        self.keys = keys
        self.sealer = sealer

    def _sealer(self) -> Sealer:
        if self.sealer is None:
            raise SecretsUnavailable(NO_KEY)
        return self.sealer

    async def create(self, idp: IdpConfig) -> bool:
        fields: dict[str, Any] = {"kind": idp.kind, "created": int(time.time())}
        if isinstance(idp, OidcIdp):
            fields.update(issuer=idp.issuer, client_ids=json.dumps(list(idp.client_ids)))
        else:
            secret = self._sealer().seal(idp.client_secret, context=idp.id)
            fields.update(client_id=idp.client_id, secret=secret, graph_url=idp.graph_url)
        keys = [self.keys.idp(idp.id)]
        return bool(await self.runner.script("hash_create", keys, pairs(fields)))

    async def _fields(self, idp_id: str) -> dict[str, str]:
        key = self.keys.idp(idp_id)
        return fields_of(await self.runner.run("get_idp", lambda: self.runner.redis.hgetall(key)))

    async def get(self, idp_id: str) -> IdpRecord | None:
        data = await self._fields(idp_id)
        if not data:
            return None
        return IdpRecord(
            id=idp_id,
            kind=data.get("kind", ""),
            created=int(data.get("created", "0") or 0),
            issuer=data.get("issuer", ""),
            client_ids=_client_ids(data.get("client_ids", "")),
            client_id=data.get("client_id", ""),
            graph_url=data.get("graph_url", "")
            or (DEFAULT_GRAPH_URL if data.get("secret") else ""),
        )

    async def list(self) -> list[IdpRecord]:
        ids: list[str] = []
        prefix_len = len(self.keys.idp(""))

        async def scan() -> None:
            async for key in self.runner.redis.scan_iter(match=self.keys.idp_pattern(), count=500):
                ids.append(text(key)[prefix_len:])

        await self.runner.run("list_idps", scan)
        found = [await self.get(i) for i in sorted(ids)]
        return [r for r in found if r is not None]

    async def config(self, idp_id: str) -> IdpConfig | None:
        data = await self._fields(idp_id)
        if data.get("kind") == OidcIdp.kind:
            return OidcIdp(idp_id, data.get("issuer", ""), _client_ids(data.get("client_ids", "")))
        if data.get("kind") == FacebookIdp.kind:
            secret = self._sealer().open(data.get("secret", ""), context=idp_id)
            graph_url = data.get("graph_url") or DEFAULT_GRAPH_URL
            return FacebookIdp(idp_id, data.get("client_id", ""), secret, graph_url)
        return None

    async def delete(self, idp_id: str) -> bool:
        key = self.keys.idp(idp_id)
        return bool(await self.runner.run("delete_idp", lambda: self.runner.redis.delete(key)))
