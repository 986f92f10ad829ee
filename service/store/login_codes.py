"""LoginCodeStore: login-as authorization codes in Redis. RedisError never leaves here.

A code lives under ``<p>code:<digest>`` (a hash, TTL = the code's lifetime). Saving and
consuming are single-key Lua scripts, so each is atomic and Cluster-safe, and neither is
retried: a consumption sent twice would look like a reused code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from importlib import resources
from typing import Any

from redis.exceptions import RedisError

from ..errors import StoreUnavailable


def _lua(name: str) -> str:
    return resources.files("service.store").joinpath(f"lua/{name}.lua").read_text("utf-8")


def _s(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def code_key(prefix: str, digest: str) -> str:
    """``<p>code:<digest>``; the digest is ``loginas.codes.code_digest`` of the code."""
    return f"{prefix}code:{digest}"


class LoginCodeStore:
    """Saves a code's record and consumes it once; may raise StoreUnavailable."""

    def __init__(self, redis: Any, prefix: str, *, deadline: float = 2.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.deadline = deadline
        self._save = redis.register_script(_lua("save_login_code"))
        self._consume = redis.register_script(_lua("consume_login_code"))

    async def _run(self, op: str, call: Awaitable[Any]) -> Any:
        try:
            async with asyncio.timeout(self.deadline):
                return await call
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"{op}: {type(exc).__name__}") from exc

    async def save_code(self, digest: str, fields: Mapping[str, str], ttl_ms: int) -> bool:
        """Store a record for ``ttl_ms``; False when a code with this digest exists already."""
        args: list[Any] = [ttl_ms]
        for name, value in fields.items():
            args += [name, value]
        key = code_key(self.prefix, digest)
        return bool(await self._run("save_code", self._save(keys=[key], args=args)))

    async def consume_code(self, digest: str, jti: str) -> list[str]:
        """The script's reply, decoded: {0} / {1, field, value, ...} / {2, jti}."""
        key = code_key(self.prefix, digest)
        reply = await self._run("consume_code", self._consume(keys=[key], args=[jti]))
        return [_s(item) for item in reply]
