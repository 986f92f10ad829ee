"""Marketplace user records in Redis hashes (see ``store/keys.py``)."""

from __future__ import annotations

import time

from ...errors import StoreUnavailable
from ...models import User
from ...owners import Owner
from ..keys import Keys
from .runner import Runner, fields_of, pairs, text


class RedisUsers:
    """UserStore on Redis: a hash per user, and the email -> user id entry."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    async def find_id(self, email: str) -> str | None:
        key = self.keys.email(email)
        raw = await self.runner.run("get_user_id", lambda: self.runner.redis.get(key))
        return text(raw) if raw else None

    async def get(self, user_id: str) -> User | None:
        key = self.keys.user(user_id)
        raw = await self.runner.run("get_user", lambda: self.runner.redis.hgetall(key))
        if not raw:
            return None
        data = fields_of(raw)
        return User(
            user_id=user_id,
            email=data.get("email", ""),
            password_hash=data.get("pw", ""),
            disabled=data.get("disabled", "0") == "1",
            generation=int(data.get("gen", "0") or 0),
        )

    async def _swap(self, key: str, expected: str, new: str) -> bool:
        return bool(await self.runner.script("swap_value", [key], [expected, new]))

    async def create(self, user: User) -> bool:
        """The email is claimed first, then the record is created; an email left naming a user
        whose record is gone (a deletion cut short) is taken over."""
        email_key = self.keys.email(user.email)
        if not await self._swap(email_key, "", user.user_id):
            holder = await self.find_id(user.email)
            if holder is None or await self.get(holder) is not None:
                return False
            if not await self._swap(email_key, holder, user.user_id):
                return False
        fields = {
            "email": user.email.strip().lower(),
            "pw": user.password_hash,
            "disabled": "1" if user.disabled else "0",
            "gen": "0",
            "created": int(time.time()),
        }
        try:
            keys = [self.keys.user(user.user_id)]
            created = await self.runner.script("hash_create", keys, pairs(fields))
        except StoreUnavailable:
            await self._swap(email_key, user.user_id, "")
            raise
        if not created:  # the id is taken: give the email back
            await self._swap(email_key, user.user_id, "")
        return bool(created)

    async def _update(self, user_id: str, fields: dict[str, str]) -> bool:
        """Set fields of an existing user (a deleted user is never re-created)."""
        keys = [self.keys.user(user_id)]
        return bool(await self.runner.script("hash_update", keys, pairs(fields)))

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        return await self._update(user_id, {"pw": password_hash})

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        return await self._update(user_id, {"disabled": "1" if disabled else "0"})

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        keys = [self.keys.user(user_id)]
        return bool(await self.runner.script("rehash_password", keys, [old_hash, new_hash]))

    async def delete(self, user: User) -> int:
        owner = Owner.user(user.user_id)
        keys = [self.keys.user(user.user_id), self.keys.index(owner)]
        prefixes = [self.keys.session_prefix(owner), self.keys.grace_prefix(owner)]
        ended = int(await self.runner.script("delete_user", keys, prefixes))
        await self._swap(self.keys.email(user.email), user.user_id, "")
        return ended

    async def list(self) -> list[User]:
        ids: list[str] = []

        async def scan() -> None:
            pattern = self.keys.user_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(self.keys.user_id_of(text(key)))

        await self.runner.run("list_users", scan)
        users = [await self.get(i) for i in sorted(ids)]
        return [u for u in users if u is not None]
