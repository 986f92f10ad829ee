"""RedisBackend: every Redis store of the service built on one client (the composition's view).

It implements each store Protocol through one module per concern and answers the health
questions (PING, the server's eviction and persistence settings).
"""

from __future__ import annotations

from typing import Any

from ...crypto.sealing import Sealer
from ...errors import StoreUnavailable
from ..keys import Keys
from ..protocols import StoreObserver
from .admin_tokens import RedisAdminTokens
from .clients import RedisClients
from .connection import close
from .idps import RedisIdps
from .login_codes import RedisLoginCodes
from .operators import RedisOperators, RedisOperatorSessions
from .revocations import RedisRevocations
from .runner import Runner, text
from .sessions import RedisSessions
from .throttle import RedisLoginThrottle
from .users import RedisUsers


class RedisBackend:
    """The Redis stores of one client; every method may raise StoreUnavailable."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        *,
        deadline: float = 2.0,
        observer: StoreObserver | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.runner = Runner(redis, deadline=deadline, observer=observer)
        self.clients = RedisClients(self.runner, self.keys)
        self.users = RedisUsers(self.runner, self.keys)
        self.sessions = RedisSessions(self.runner, self.keys)
        self.revocations = RedisRevocations(self.runner, self.keys)
        self.throttle = RedisLoginThrottle(self.runner, self.keys)
        self.login_codes = RedisLoginCodes(self.runner, self.keys)
        self.operators = RedisOperators(self.runner, self.keys)
        self.operator_sessions = RedisOperatorSessions(self.runner, self.keys)
        self.admin_tokens = RedisAdminTokens(self.runner, self.keys)
        self.idps = RedisIdps(self.runner, self.keys, sealer)

    async def ping(self) -> bool:
        return bool(await self.runner.run("ping", self.redis.ping))

    async def server_warnings(self) -> list[str]:
        """Settings of this Redis that put sessions at risk (eviction, no persistence)."""
        warnings = []
        try:
            policy = await self.runner.run(
                "config", lambda: self.redis.config_get("maxmemory-policy")
            )
            aof = await self.runner.run("config", lambda: self.redis.config_get("appendonly"))
        except StoreUnavailable:
            return ["Redis did not answer CONFIG GET; cannot check eviction and persistence"]
        policy = _flat(policy).get("maxmemory-policy", "")
        if policy and policy != "noeviction":
            warnings.append(f"Redis maxmemory-policy is {policy}: sessions may be evicted")
        if _flat(aof).get("appendonly", "no") != "yes":
            warnings.append("Redis appendonly is off: sessions are lost on a Redis restart")
        return warnings

    async def close(self) -> None:
        await close(self.redis)


def _flat(reply: Any) -> dict[str, str]:
    if isinstance(reply, dict):
        return {text(k): text(v) for k, v in reply.items()}
    return {}
