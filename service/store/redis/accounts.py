"""Account records in Redis hashes (see ``store/keys.py``): applications, marketplace users."""

from __future__ import annotations

import time
from typing import Any

from ...models import Client, ClientKind, User
from ..keys import Keys
from .runner import Runner, text


def _fields(raw: Any) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}


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
        data = _fields(raw)
        return Client(
            client_id=client_id,
            kind=ClientKind(data.get("kind", "marketplace")),
            name=data.get("name", ""),
            secret_hash=data.get("secret", ""),
        )

    @staticmethod
    def _mapping(client: Client) -> dict[str, Any]:
        return {
            "kind": client.kind.value,
            "name": client.name,
            "secret": client.secret_hash,
            "created": int(time.time()),
        }

    async def create(self, client: Client) -> bool:
        mapping = self._mapping(client)
        args = [mapping["kind"], mapping["name"], mapping["secret"], mapping["created"]]
        keys = [self.keys.client(client.client_id)]
        return bool(await self.runner.script("create_client", keys, args))

    async def save(self, client: Client) -> None:
        key, mapping = self.keys.client(client.client_id), self._mapping(client)
        await self.runner.run("save_client", lambda: self.runner.redis.hset(key, mapping=mapping))

    async def set_secret(self, client_id: str, secret_hash: str) -> bool:
        redis, key = self.runner.redis, self.keys.client(client_id)

        async def update() -> bool:
            if not await redis.exists(key):
                return False
            await redis.hset(key, "secret", secret_hash)
            return True

        return await self.runner.run("save_client", update)

    async def delete(self, client_id: str) -> bool:
        key = self.keys.client(client_id)
        return bool(await self.runner.run("delete_client", lambda: self.runner.redis.delete(key)))

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
        data = _fields(raw)
        return User(
            user_id=user_id,
            email=data.get("email", ""),
            password_hash=data.get("pw", ""),
            disabled=data.get("disabled", "0") == "1",
        )

    async def create(self, user: User) -> bool:
        redis, email_key = self.runner.redis, self.keys.email(user.email)
        taken = not await self.runner.run(
            "create_user", lambda: redis.set(email_key, user.user_id, nx=True)
        )
        if taken:
            return False
        mapping = {
            "email": user.email.strip().lower(),
            "pw": user.password_hash,
            "disabled": "1" if user.disabled else "0",
            "created": int(time.time()),
        }
        key = self.keys.user(user.user_id)
        await self.runner.run("create_user", lambda: redis.hset(key, mapping=mapping))
        return True

    async def _update(self, user_id: str, fields: dict[str, str]) -> bool:
        redis, key = self.runner.redis, self.keys.user(user_id)

        async def update() -> bool:
            if not await redis.exists(key):
                return False
            await redis.hset(key, mapping=fields)
            return True

        return await self.runner.run("update_user", update)

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        return await self._update(user_id, {"pw": password_hash})

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        return await self._update(user_id, {"disabled": "1" if disabled else "0"})

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        redis, key = self.runner.redis, self.keys.user(user_id)

        async def swap() -> None:
            if text(await redis.hget(key, "pw") or b"") == old_hash:
                await redis.hset(key, "pw", new_hash)

        await self.runner.run("rehash", swap)

    async def delete(self, user: User) -> None:
        keys = (self.keys.user(user.user_id), self.keys.email(user.email))
        await self.runner.run("delete_user", lambda: self.runner.redis.delete(*keys))

    async def list(self) -> list[User]:
        ids: list[str] = []

        async def scan() -> None:
            pattern = self.keys.user_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(self.keys.user_id_of(text(key)))

        await self.runner.run("list_users", scan)
        users = [await self.get(i) for i in sorted(ids)]
        return [u for u in users if u is not None]
