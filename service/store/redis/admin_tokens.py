"""Admin API tokens in Redis: a hash per token id with its name, its digest, never the token."""

from __future__ import annotations

from ..keys import Keys
from ..records import AdminTokenRecord
from .runner import Runner, fields_of, pairs, text


class RedisAdminTokens:
    """AdminTokenStore on Redis: ``<p>admin-token:<id>`` hashes."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def create(self, record: AdminTokenRecord) -> bool:
        fields = {"name": record.name, "digest": record.digest, "created": record.created}
        keys = [self.keys.admin_token(record.token_id)]
        return bool(await self.runner.script("hash_create", keys, pairs(fields)))

    async def get(self, token_id: str) -> AdminTokenRecord | None:
        key = self.keys.admin_token(token_id)
        raw = await self.runner.run("get_admin_token", lambda: self.runner.redis.hgetall(key))
        if not raw:
            return None
        data = fields_of(raw)
        return AdminTokenRecord(
            token_id, data.get("name", ""), data.get("digest", ""), int(data.get("created") or 0)
        )

    async def list(self) -> list[AdminTokenRecord]:
        ids: list[str] = []
        prefix_len = len(self.keys.admin_token(""))

        async def scan() -> None:
            pattern = self.keys.admin_token_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(text(key)[prefix_len:])

        await self.runner.run("list_admin_tokens", scan)
        found = [await self.get(i) for i in ids]
        return sorted((r for r in found if r is not None), key=lambda r: (r.created, r.token_id))

    async def delete(self, token_id: str) -> bool:
        key = self.keys.admin_token(token_id)
        return bool(
            await self.runner.run("revoke_admin_token", lambda: self.runner.redis.delete(key))
        )
