"""Login-as authorization codes in Redis, each saved or consumed by one single-key Lua step.

A code lives under ``<p>code:<digest>`` (a hash, TTL = the code's lifetime). Neither step is
retried: a consumption sent twice would look like a reused code. The scripts' replies are
decoded here into the typed results of ``store/records.py``.
"""

from __future__ import annotations

from typing import Any

from ...owners import Owner, SessionRef
from ..keys import Keys
from ..records import UNKNOWN_CODE, CodeRecord, CodeResult, FreshCode, UsedCode
from .runner import Runner, text

FIELDS = ("client_id", "redirect_uri", "user_id", "code_challenge", "operator_id")
_FRESH, _USED = 1, 2  # consume_login_code.lua reply codes ({0}: unknown)


def record_fields(record: CodeRecord) -> dict[str, str]:
    """The hash fields of a code's record."""
    return {name: getattr(record, name) for name in FIELDS}


def record_of(raw: dict[str, str]) -> CodeRecord | None:
    """The record from the hash's fields; None when a binding is missing."""
    values = [raw.get(name) or "" for name in FIELDS]
    return CodeRecord(*values) if all(values) else None


class RedisLoginCodes:
    """LoginCodeStore on Redis; may raise StoreUnavailable."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def save(self, digest: str, record: CodeRecord, ttl_ms: int) -> bool:
        args: list[Any] = [ttl_ms]
        for name, value in record_fields(record).items():
            args += [name, value]
        keys = [self.keys.login_code(digest)]
        return bool(await self.runner.script("save_login_code", keys, args))

    async def consume(self, digest: str, *, jti: str, sid: str) -> CodeResult:
        keys = [self.keys.login_code(digest)]
        reply = [
            text(item) for item in await self.runner.script("consume_login_code", keys, [jti, sid])
        ]
        if int(reply[0]) == _FRESH:
            pairs = reply[1:]
            record = record_of(dict(zip(pairs[::2], pairs[1::2], strict=True)))
            return FreshCode(record) if record is not None else UNKNOWN_CODE
        if int(reply[0]) == _USED:
            first_jti, first_sid, user_id = (reply[1:] + ["", "", ""])[:3]
            session = None
            if first_sid and Owner.valid_id(user_id):
                session = SessionRef(Owner.user(user_id), first_sid)
            return UsedCode(first_jti, session)
        return UNKNOWN_CODE
