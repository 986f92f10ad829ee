"""Refresh-token sessions in Redis: each step is one Lua script on the owner's hash slot.

The scripts' replies are decoded here into the typed records of ``store/records.py``; no
reply code leaves this module.
"""

from __future__ import annotations

from ...owners import Owner, SessionRef
from ..keys import Keys
from ..records import (
    REJECTED,
    REUSED,
    WIDER_SCOPE,
    GraceReplay,
    InspectedRefresh,
    LiveSession,
    RefreshResult,
    Rotated,
    SessionInfo,
    SessionLimits,
)
from .runner import Runner, text

# refresh_session.lua reply codes
_INVALID, _ROTATED, _GRACE, _REUSED, _WIDER_SCOPE = 0, 1, 2, 3, 4


class RedisSessions:
    """SessionStore on Redis."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys

    def _session_keys(self, ref: SessionRef) -> list[str]:
        """The session hash, its owner's index and its grace key (one hash tag)."""
        keys = self.keys
        return [keys.session(*ref), keys.index(ref.owner), keys.grace(*ref)]

    async def create(
        self, ref: SessionRef, *, client_id: str, scope: str, digest: bytes, limits: SessionLimits
    ) -> int:
        owner, sid = ref
        keys = [self.keys.session(owner, sid), self.keys.index(owner)]
        args = [
            sid,
            client_id,
            scope,
            digest,
            limits.idle_ms,
            limits.max_ms,
            self.keys.session_prefix(owner),
            limits.cap,
        ]
        return int(await self.runner.script("create_session", keys, args))

    async def rotate(
        self,
        ref: SessionRef,
        *,
        client_id: str,
        presented: bytes,
        successor: bytes,
        wrapped: bytes,
        scope: str,
        limits: SessionLimits,
    ) -> RefreshResult:
        args = [
            ref.sid,
            presented,
            client_id,
            successor,
            wrapped,
            limits.grace_ms,
            limits.idle_ms,
            scope,
        ]
        reply = await self.runner.script("refresh_session", self._session_keys(ref), args)
        code = int(reply[0])
        if code == _ROTATED:
            return Rotated(text(reply[1]), int(reply[2]))
        if code == _GRACE:
            return GraceReplay(text(reply[1]), int(reply[2]), bytes(reply[3]))
        if code == _REUSED:
            return REUSED
        if code == _WIDER_SCOPE:
            return WIDER_SCOPE
        return REJECTED

    async def revoke(self, ref: SessionRef, *, digest: bytes, client_id: str) -> bool:
        args = [ref.sid, digest, client_id]
        return bool(await self.runner.script("revoke_session", self._session_keys(ref), args))

    async def check(self, ref: SessionRef, jti: str) -> LiveSession | None:
        owner, sid = ref
        keys = [
            self.keys.session(owner, sid),
            self.keys.index(owner),
            self.keys.revoked(owner, jti),
        ]
        reply = await self.runner.script("check_session", keys, [sid])
        if not reply or int(reply[0]) != 1:
            return None
        return LiveSession(text(reply[1]), text(reply[2]), int(reply[3]))

    async def inspect(self, ref: SessionRef, digest: bytes) -> InspectedRefresh | None:
        reply = await self.runner.script(
            "inspect_refresh", self._session_keys(ref), [ref.sid, digest]
        )
        if not reply or int(reply[0]) != 1:
            return None
        return InspectedRefresh(text(reply[1]), text(reply[2]), int(reply[3]), int(reply[4]))

    async def list(self, owner: Owner) -> list[SessionInfo]:
        redis, keys = self.runner.redis, self.keys

        async def collect() -> list[SessionInfo]:
            members = await redis.zrange(keys.index(owner), 0, -1, withscores=True)
            out = []
            for sid_raw, expiry in members:
                sid = text(sid_raw)
                data = await redis.hmget(keys.session(owner, sid), "cid", "scope")
                if data[0] is None:
                    continue
                ttl = await redis.pttl(keys.session(owner, sid))
                out.append(
                    SessionInfo(
                        SessionRef(owner, sid), text(data[0]), text(data[1]), int(expiry), int(ttl)
                    )
                )
            return out

        return await self.runner.run("list_sessions", collect)

    async def end(self, ref: SessionRef) -> bool:
        redis = self.runner.redis
        session, index, grace = self._session_keys(ref)

        async def drop() -> bool:
            removed = await redis.zrem(index, ref.sid)
            deleted = await redis.delete(session, grace)
            return bool(removed or deleted)

        return await self.runner.run("revoke_one", drop)

    async def end_all(self, owner: Owner) -> int:
        redis, keys = self.runner.redis, self.keys
        index = keys.index(owner)

        async def drop() -> int:
            sids = [text(s) for s in await redis.zrange(index, 0, -1)]
            await redis.delete(index)
            for sid in sids:
                await redis.delete(keys.session(owner, sid), keys.grace(owner, sid))
            return len(sids)

        return await self.runner.run("revoke_owner", drop)
