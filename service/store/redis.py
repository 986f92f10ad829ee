"""RedisStore: clients, users, sessions and throttles in Redis. RedisError never leaves here.

Every multi-key operation is one Lua script from ``store/lua/`` on keys that share a hash tag,
so it is atomic and Cluster-safe. The client never retries a command by itself: a retried
state-changing script could run twice and look like refresh-token reuse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

import structlog
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisClusterException, RedisError

from ..errors import StoreUnavailable
from ..models import Client, ClientKind, User
from ..settings import RedisSettings
from .keys import Keys

T = TypeVar("T")
log = structlog.get_logger("tokenhouse.store")

# How a store call fails when Redis does. redis-py's Cluster client raises RedisClusterException
# (and SlotNotCoveredError, a subclass) when nodes are lost or unreachable: neither is a
# RedisError.
STORE_ERRORS = (RedisError, RedisClusterException, OSError, TimeoutError)

SCRIPTS = (
    "create_session",
    "refresh_session",
    "revoke_session",
    "check_session",
    "inspect_refresh",
    "count_attempt",
    "forgive_attempt",
    "end_sessions",
    "delete_user",
    "hash_create",
    "hash_update",
    "rehash_password",
    "swap_value",
    "delete_client",
)


def _lua(name: str) -> str:
    return resources.files("service.store").joinpath(f"lua/{name}.lua").read_text("utf-8")


def _s(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def connect(settings: RedisSettings, url: str | None = None) -> Any:
    """A redis-py asyncio client with short timeouts and no automatic retries."""
    url = url or settings.url
    common: dict[str, Any] = {
        "socket_timeout": settings.socket_timeout,
        "socket_connect_timeout": settings.connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        "retry_on_timeout": False,
        "health_check_interval": 0,
    }
    if settings.cluster:
        from redis.asyncio.cluster import RedisCluster

        # RedisCluster has no retry_on_timeout: its ``retry`` (none) covers timeouts too.
        common.pop("retry_on_timeout")
        return RedisCluster.from_url(url, **common)
    if url.startswith("redis+sentinel://"):
        return _sentinel(url, common)
    return aioredis.from_url(url, **common)


def _sentinel(url: str, common: dict[str, Any]) -> Any:
    """``redis+sentinel://host:port[,host:port]/service_name[/db]``: the master, re-resolved."""
    from urllib.parse import unquote, urlsplit

    from redis.asyncio.sentinel import Sentinel

    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    hosts = []
    for hostport in hostlist.split(","):
        host, sep, port = hostport.rpartition(":")
        hosts.append((host, int(port)) if sep else (hostport, 26379))
    path = [p for p in parts.path.split("/") if p]
    service = path[0] if path else "mymaster"
    db = int(path[1]) if len(path) > 1 else 0
    if userinfo:  # credentials of the data nodes (the sentinels are asked without)
        user, _, password = userinfo.partition(":")
        common = {**common, "username": unquote(user) or None, "password": unquote(password)}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        hosts,
        socket_timeout=common["socket_timeout"],
        socket_connect_timeout=common["socket_connect_timeout"],
    )
    return sentinel.master_for(service, db=db, **common)


class ScriptBatcher:
    """Coalesce the script calls made in one event-loop turn into one pipeline.

    Under concurrent load many requests reach their one Redis step in the same turn; sending
    their EVALSHAs together costs one write and one read instead of one of each per request,
    on both sides. Each script still runs atomically on its own, in order. Nothing is retried
    after it may have run: only a NOSCRIPT reply (the script did not run) is loaded and sent
    again, once.
    """

    def __init__(self, redis: Any, scripts: dict[str, Any]) -> None:
        self.redis = redis
        self.scripts = scripts
        self._pending: list[tuple[str, list[Any], asyncio.Future[Any]]] = []

    def call(self, name: str, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((name, [len(keys), *keys, *args], future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._send(batch))
        task.add_done_callback(_ignore_result)

    async def _send(self, batch: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> None:
        try:
            replies = await self._pipeline(batch)
            missing = [
                (item, i) for i, item in enumerate(batch) if isinstance(replies[i], NoScriptError)
            ]
            if missing:  # e.g. after SCRIPT FLUSH or a restart: these did not run
                for name in {item[0] for item, _ in missing}:
                    await self.redis.script_load(self.scripts[name].script)
                again = await self._pipeline([item for item, _ in missing])
                for (_, i), reply in zip(missing, again, strict=True):
                    replies[i] = reply
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the failure
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(
                        exc if isinstance(exc, Exception) else RedisError(repr(exc))
                    )
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its request gave up waiting
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _pipeline(self, batch: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> list[Any]:
        pipe = self.redis.pipeline(transaction=False)
        for name, words, _ in batch:
            pipe.execute_command("EVALSHA", self.scripts[name].sha, *words)
        return list(await pipe.execute(raise_on_error=False))


def _ignore_result(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: the waiters already have it


class RedisStore:
    """The token service's storage; every method may raise StoreUnavailable."""

    def __init__(self, redis: Any, prefix: str, *, deadline: float = 2.0) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.deadline = deadline
        self._scripts = {name: redis.register_script(_lua(name)) for name in SCRIPTS}
        # Cluster pipelines split by node and slot: there each script is sent on its own.
        self._batcher = None if _is_cluster(redis) else ScriptBatcher(redis, self._scripts)
        self.on_error: Callable[[str], None] | None = None
        self.on_latency: Callable[[str, float], None] | None = None
        self.on_script: Callable[[str, Any], None] | None = None  # (script, reply): for metrics

    async def _run(self, op: str, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):
                result = await call()
        except Exception as exc:  # noqa: BLE001 - every failure of a store call is a 503
            if not isinstance(exc, STORE_ERRORS):
                # e.g. redis-py's Cluster client writing on a connection that another request
                # is resetting after a node stalled (RuntimeError, AttributeError): the client
                # drops that connection and the next call reconnects. Logged in full: it may
                # also be a defect of ours.
                log.warning("store.unexpected_error", op=op, exc_info=True)
            if self.on_error:
                self.on_error(op)
            if isinstance(exc, (RedisConnectionError, OSError)):
                await self._drop_idle_connections()
            raise StoreUnavailable(f"{op}: {type(exc).__name__}") from exc
        if self.on_latency:
            self.on_latency(op, time.perf_counter() - started)
        return result

    async def _drop_idle_connections(self) -> None:
        """After a broken connection, close the idle ones too: after a Redis restart (or
        failover) each would otherwise fail one more request. In-use ones are left alone."""
        pool = getattr(self.redis, "connection_pool", None)
        if pool is None:
            return
        try:
            await pool.disconnect(inuse_connections=False)
        except (RedisError, OSError):
            pass

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        if self._batcher is not None:
            batcher = self._batcher
            result = await self._run(name, lambda: batcher.call(name, keys, args))
        else:
            result = await self._run(name, lambda: self._scripts[name](keys=keys, args=args))
        if self.on_script:
            self.on_script(name, result)
        return result

    # health -----------------------------------------------------------------------------
    async def ping(self) -> bool:
        return bool(await self._run("ping", self.redis.ping))

    async def server_warnings(self) -> list[str]:
        """Settings of this Redis that put sessions at risk (eviction, no persistence)."""
        warnings = []
        try:
            policy = await self._run("config", lambda: self.redis.config_get("maxmemory-policy"))
            aof = await self._run("config", lambda: self.redis.config_get("appendonly"))
        except StoreUnavailable:
            return ["Redis did not answer CONFIG GET; cannot check eviction and persistence"]
        policy = _flat(policy).get("maxmemory-policy", "")
        if policy and policy != "noeviction":
            warnings.append(f"Redis maxmemory-policy is {policy}: sessions may be evicted")
        if _flat(aof).get("appendonly", "no") != "yes":
            warnings.append("Redis appendonly is off: sessions are lost on a Redis restart")
        return warnings

    # clients ----------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> Client | None:
        raw = await self._run("get_client", lambda: self.redis.hgetall(self.keys.client(client_id)))
        if not raw:
            return None
        data = {_s(k): _s(v) for k, v in raw.items()}
        if "deleted" in data:  # the tombstone of a deleted client
            return None
        return Client(
            client_id=client_id,
            kind=ClientKind(data.get("kind", "marketplace")),
            name=data.get("name", ""),
            secret_hash=data.get("secret", ""),
        )

    @staticmethod
    def _client_fields(client: Client) -> dict[str, Any]:
        return {
            "kind": client.kind.value,
            "name": client.name,
            "secret": client.secret_hash,
            "created": int(time.time()),
        }

    async def save_client(self, client: Client) -> None:
        """Write a client record (a new secret); a deleted client's tombstone stays."""
        mapping = self._client_fields(client)
        key = self.keys.client(client.client_id)
        await self._run("save_client", lambda: self.redis.hset(key, mapping=mapping))

    async def create_client(self, client: Client) -> bool:
        """Store a new client; False when the id is taken, by a live or a deleted client."""
        args = [w for pair in self._client_fields(client).items() for w in pair]
        return bool(await self._script("hash_create", [self.keys.client(client.client_id)], args))

    async def client_id_deleted(self, client_id: str) -> bool:
        key = self.keys.client(client_id)
        return bool(await self._run("get_client", lambda: self.redis.hexists(key, "deleted")))

    async def delete_client(self, client_id: str) -> bool:
        """Delete a client (a tombstone keeps its id from coming back) and end its sessions."""
        from .keys import client_owner

        key = self.keys.client(client_id)
        deleted = await self._script("delete_client", [key], [int(time.time())])
        await self.revoke_owner(client_owner(client_id))
        return bool(deleted)

    async def list_clients(self) -> list[Client]:
        ids = []
        prefix_len = len(self.keys.client(""))

        async def scan() -> None:
            async for key in self.redis.scan_iter(match=self.keys.client_pattern(), count=500):
                ids.append(_s(key)[prefix_len:])

        await self._run("list_clients", scan)
        clients = [await self.get_client(i) for i in sorted(ids)]
        return [c for c in clients if c is not None]

    # users ------------------------------------------------------------------------------
    async def get_user_id(self, email: str) -> str | None:
        raw = await self._run("get_user_id", lambda: self.redis.get(self.keys.email(email)))
        return _s(raw) if raw else None

    async def get_user(self, user_id: str) -> User | None:
        raw = await self._run("get_user", lambda: self.redis.hgetall(self.keys.user(user_id)))
        if not raw:
            return None
        data = {_s(k): _s(v) for k, v in raw.items()}
        return User(
            user_id=user_id,
            email=data.get("email", ""),
            password_hash=data.get("pw", ""),
            disabled=data.get("disabled", "0") == "1",
            generation=int(data.get("gen", "0") or 0),
        )

    async def _swap(self, key: str, expected: str, new: str) -> bool:
        return bool(await self._script("swap_value", [key], [expected, new]))

    async def create_user(self, user: User) -> bool:
        """Store a new user; False when the email is taken.

        The email is claimed first, then the record is created; an email left naming a user
        whose record is gone (a deletion cut short) is taken over."""
        email_key = self.keys.email(user.email)
        if not await self._swap(email_key, "", user.user_id):
            holder = await self.get_user_id(user.email)
            if holder is None or await self.get_user(holder) is not None:
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
        args = [w for pair in fields.items() for w in pair]
        try:
            created = await self._script("hash_create", [self.keys.user(user.user_id)], args)
        except StoreUnavailable:
            await self._swap(email_key, user.user_id, "")
            raise
        if not created:  # the id is taken: give the email back
            await self._swap(email_key, user.user_id, "")
        return bool(created)

    async def update_user(self, user_id: str, **fields: str) -> bool:
        """Set fields of an existing user (a deleted user is never re-created); False: none."""
        args = [w for pair in fields.items() for w in pair]
        return bool(await self._script("hash_update", [self.keys.user(user_id)], args))

    async def set_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace the hash only if it is still ``old_hash`` (rehash on login), atomically."""
        key = self.keys.user(user_id)
        return bool(await self._script("rehash_password", [key], [old_hash, new_hash]))

    async def delete_user(self, user: User) -> int:
        """Delete the user and end every session of theirs in one step, then free the email;
        the count of sessions ended."""
        from .keys import user_owner

        owner = user_owner(user.user_id)
        keys = [self.keys.user(user.user_id), self.keys.index(owner)]
        prefixes = [self.keys.session_prefix(owner), self.keys.grace_prefix(owner)]
        ended = int(await self._script("delete_user", keys, prefixes))
        await self._swap(self.keys.email(user.email), user.user_id, "")
        return ended

    async def list_users(self) -> list[User]:
        ids: list[str] = []

        async def scan() -> None:
            async for key in self.redis.scan_iter(match=self.keys.user_pattern(), count=500):
                text = _s(key)
                ids.append(text[text.index("{u-") + 3 : -1])

        await self._run("list_users", scan)
        users = [await self.get_user(i) for i in sorted(ids)]
        return [u for u in users if u is not None]

    # sessions ---------------------------------------------------------------------------
    def _user_key(self, owner: str) -> list[str]:
        """The user record a session's scripts check: users only (a client record has no
        hash tag, so an integration client's sessions do not look at it)."""
        kind, _, user_id = owner.partition("-")
        return [self.keys.user(user_id)] if kind == "u" else []

    async def create_session(
        self,
        owner: str,
        sid: str,
        client_id: str,
        scope: str,
        digest: bytes,
        *,
        idle_ms: int,
        max_ms: int,
        cap: int,
        generation: int | None = None,
    ) -> int:
        """Store a new session; its absolute expiry (ms), or 0 when the owner is a user who is
        gone, disabled, or whose sessions all ended since ``generation`` was read."""
        keys = [self.keys.session(owner, sid), self.keys.index(owner), *self._user_key(owner)]
        args = [
            sid,
            client_id,
            scope,
            digest,
            idle_ms,
            max_ms,
            self.keys.session_prefix(owner),
            cap,
            "" if generation is None else generation,
        ]
        return int(await self._script("create_session", keys, args))

    async def refresh_session(
        self,
        owner: str,
        sid: str,
        digest: bytes,
        client_id: str,
        new_digest: bytes,
        wrap: bytes,
        *,
        grace_ms: int,
        idle_ms: int,
        scope: str,
    ) -> list[Any]:
        keys = [
            self.keys.session(owner, sid),
            self.keys.index(owner),
            self.keys.grace(owner, sid),
            *self._user_key(owner),
        ]
        args = [sid, digest, client_id, new_digest, wrap, grace_ms, idle_ms, scope]
        return list(await self._script("refresh_session", keys, args))

    async def revoke_session(self, owner: str, sid: str, digest: bytes, client_id: str) -> bool:
        keys = [self.keys.session(owner, sid), self.keys.index(owner), self.keys.grace(owner, sid)]
        return bool(await self._script("revoke_session", keys, [sid, digest, client_id]))

    async def check_session(self, owner: str, sid: str, jti: str) -> tuple[str, str, int] | None:
        """(client id, scope, ttl ms) of a live session whose token ``jti`` is not revoked."""
        keys = [
            self.keys.session(owner, sid),
            self.keys.index(owner),
            self.keys.revoked(owner, jti),
            *self._user_key(owner),
        ]
        result = await self._script("check_session", keys, [sid])
        if not result or int(result[0]) != 1:
            return None
        return _s(result[1]), _s(result[2]), int(result[3])

    async def inspect_refresh(
        self, owner: str, sid: str, digest: bytes
    ) -> tuple[str, str, int, int] | None:
        keys = [
            self.keys.session(owner, sid),
            self.keys.index(owner),
            self.keys.grace(owner, sid),
            *self._user_key(owner),
        ]
        result = await self._script("inspect_refresh", keys, [sid, digest])
        if not result or int(result[0]) != 1:
            return None
        return _s(result[1]), _s(result[2]), int(result[3]), int(result[4])

    async def is_revoked(self, owner: str | None, jti: str) -> bool:
        key = self.keys.revoked(owner, jti)
        return bool(await self._run("is_revoked", lambda: self.redis.exists(key)))

    async def revoke_access_token(self, owner: str | None, jti: str, ttl_ms: int) -> None:
        key = self.keys.revoked(owner, jti)
        await self._run("revoke_access", lambda: self.redis.set(key, b"1", px=max(ttl_ms, 1)))

    async def list_sessions(self, owner: str) -> list[dict[str, Any]]:
        """The owner's live sessions: id, client id, scope, absolute expiry and idle TTL (ms)."""
        index = self.keys.index(owner)

        async def collect() -> list[dict[str, Any]]:
            members = await self.redis.zrange(index, 0, -1, withscores=True)
            out = []
            for sid_raw, ae in members:
                sid = _s(sid_raw)
                data = await self.redis.hmget(self.keys.session(owner, sid), "cid", "scope")
                if data[0] is None:
                    continue
                ttl = await self.redis.pttl(self.keys.session(owner, sid))
                out.append(
                    {
                        "session_id": f"{owner}.{sid}",
                        "client_id": _s(data[0]),
                        "scope": _s(data[1]),
                        "absolute_expiry_ms": int(ae),
                        "idle_ttl_ms": int(ttl),
                    }
                )
            return out

        return await self._run("list_sessions", collect)

    async def revoke_one(self, owner: str, sid: str) -> bool:
        keys = (self.keys.session(owner, sid), self.keys.grace(owner, sid))

        async def drop() -> bool:
            removed = await self.redis.zrem(self.keys.index(owner), sid)
            deleted = await self.redis.delete(*keys)
            return bool(removed or deleted)

        return await self._run("revoke_one", drop)

    async def revoke_owner(self, owner: str, **user_fields: str) -> int:
        """End every session of a user or integration client in one step; the count ended.

        For a user the same step sets ``user_fields`` and advances the user's session
        generation, so a login in flight creates no session afterwards; -1: no such user."""
        keys = [self.keys.index(owner), *self._user_key(owner)]
        args = [self.keys.session_prefix(owner), self.keys.grace_prefix(owner)]
        args += [w for pair in user_fields.items() for w in pair]
        return int(await self._script("end_sessions", keys, args))

    # throttling -------------------------------------------------------------------------
    async def count_attempt(self, key: str, limit: int, window: int) -> tuple[bool, int]:
        """Count a login attempt on one counter: (True, count), or at the limit (False, seconds
        until the window ends) with nothing counted."""
        result = await self._script("count_attempt", [key], [limit, window])
        return int(result[0]) == 1, int(result[1])

    async def forgive_attempt(self, key: str, *, everything: bool = False) -> None:
        """Give back one counted attempt, or every one (the window is kept)."""
        await self._script("forgive_attempt", [key], ["all" if everything else "one"])

    async def close(self) -> None:
        close = getattr(self.redis, "aclose", None) or self.redis.close
        await close()
        # a Sentinel-managed client: close the connections to the sentinels as well
        manager = getattr(getattr(self.redis, "connection_pool", None), "sentinel_manager", None)
        for sentinel in getattr(manager, "sentinels", ()):
            await sentinel.aclose()


def _is_cluster(redis: Any) -> bool:
    from redis.asyncio.cluster import RedisCluster

    return isinstance(redis, RedisCluster)


def _flat(reply: Any) -> dict[str, str]:
    if isinstance(reply, dict):
        return {_s(k): _s(v) for k, v in reply.items()}
    return {}
