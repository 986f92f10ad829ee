"""Login-as authorization codes in Redis, each saved or consumed by one single-key Lua step.

A code lives under ``<p>code:<digest>`` (a hash, TTL = the code's lifetime). Neither step is
retried: a consumption sent twice would look like a reused code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..keys import Keys
from .runner import Runner, text


class LoginCodeStore:
    """Saves a code's record and consumes it once; may raise StoreUnavailable."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def save_code(self, digest: str, fields: Mapping[str, str], ttl_ms: int) -> bool:
        """Store a record for ``ttl_ms``; False when a code with this digest exists already."""
        args: list[Any] = [ttl_ms]
        for name, value in fields.items():
            args += [name, value]
        keys = [self.keys.login_code(digest)]
        return bool(await self.runner.script("save_login_code", keys, args))

    async def consume_code(self, digest: str, jti: str) -> list[str]:
        """The script's reply, decoded: {0} / {1, field, value, ...} / {2, jti}."""
        keys = [self.keys.login_code(digest)]
        reply = await self.runner.script("consume_login_code", keys, [jti])
        return [text(item) for item in reply]
