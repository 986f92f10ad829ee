"""Admin API tokens: made with 256 random bits, shown once, kept only as a SHA-256 digest.

A token reads ``tha_<id>_<secret>``: the id names its record (listed, revoked, logged), the
secret makes it unguessable. A presented token is checked against the stored digest in
constant time, on every request (a revoked token fails from its next request on).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from ..store.protocols import AdminTokenStore
from ..store.records import AdminTokenRecord
from .errors import Conflict, Invalid, NotFound

TOKEN = re.compile(r"tha_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
TOKEN_ID = re.compile(r"[0-9a-f]{16}")
_NAME = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,99}")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class NewAdminToken:
    """A created token's record and the token itself, shown this once."""

    record: AdminTokenRecord
    token: str


class AdminTokens:
    def __init__(self, store: AdminTokenStore) -> None:
        self.store = store

    async def create(self, name: str) -> NewAdminToken:
        """A new token named ``name`` (whose it is: 1 to 100 printable ASCII characters)."""
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise Invalid("an admin token's name has 1 to 100 printable ASCII characters")
        token_id = secrets.token_hex(8)
        token = f"tha_{token_id}_{secrets.token_urlsafe(32)}"
        record = AdminTokenRecord(token_id, name, digest(token), int(time.time()))
        if not await self.store.create(record):  # 64 random bits: only by accident
            raise Conflict("an admin token with this id exists; try again")
        return NewAdminToken(record, token)

    async def list(self) -> list[AdminTokenRecord]:
        return await self.store.list()

    async def revoke(self, token_id: str) -> None:
        if not TOKEN_ID.fullmatch(token_id) or not await self.store.delete(token_id):
            raise NotFound(f"no admin token {token_id}")

    async def authenticate(self, token: str) -> AdminTokenRecord | None:
        """The record of a valid, unrevoked token; None for anything else (nothing is told)."""
        match = TOKEN.fullmatch(token)
        if match is None:
            return None
        record = await self.store.get(match.group(1))
        if record is None or not hmac.compare_digest(record.digest, digest(token)):
            return None
        return record
