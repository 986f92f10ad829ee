"""Revoked access tokens in Redis: one key per ``jti`` that expires with the token."""

from __future__ import annotations

from ...owners import Owner
from ..keys import Keys
from .runner import Runner


class RedisRevocations:
    """RevocationStore on Redis; an owner's keys share its hash tag with its sessions."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def is_revoked(self, owner: Owner | None, jti: str) -> bool:
        key = self.keys.revoked(owner, jti)
        return bool(await self.runner.run("is_revoked", lambda: self.runner.redis.exists(key)))

    async def revoke(self, owner: Owner | None, jti: str, ttl_ms: int) -> None:
        key = self.keys.revoked(owner, jti)
        await self.runner.run(
            "revoke_access", lambda: self.runner.redis.set(key, b"1", px=max(ttl_ms, 1))
        )
