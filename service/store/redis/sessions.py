"""Refresh-token sessions in Redis: each step is one Lua script on the owner's hash slot.

A user's session scripts also read the user record (it shares the owner's hash tag), so a
session never outlives its user's deletion, disabling or "end all sessions". The scripts'
replies are decoded here into the typed records of ``store/records.py``; no reply code leaves
this module. Listing and ending one session by reference (operator steps) are plain commands.
"""

from __future__ import annotations

from typing import Any

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
    UserChange,
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

    def _user_key(self, owner: Owner) -> list[str]:
        """The user record a session's scripts check: users only (a client record has no
        hash tag, so an integration client's sessions do not look at it)."""
        return [self.keys.user(owner.id)] if owner.is_user else []

    async def create(
        self,
        ref: SessionRef,
        *,
        client_id: str,
        scope: str,
        digest: bytes,
        limits: SessionLimits,
        user_generation: int | None = None,
    ) -> int | None:
        owner, sid = ref
        keys = [self.keys.session(owner, sid), self.keys.index(owner), *self._user_key(owner)]
        args = [
            sid,
            client_id,
            scope,
            digest,
            limits.idle_ms,
            limits.max_ms,
            self.keys.session_prefix(owner),
            limits.cap,
            "" if user_generation is None else user_generation,
        ]
        expiry = int(await self.runner.script("create_session", keys, args))
        return expiry or None  # 0: refused, the user is gone, disabled or logged out meanwhile

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
        keys = [*self._session_keys(ref), *self._user_key(ref.owner)]
        reply = await self.runner.script("refresh_session", keys, args)
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
            *self._user_key(owner),
        ]
        reply = await self.runner.script("check_session", keys, [sid])
        if not reply or int(reply[0]) != 1:
            return None
        return LiveSession(text(reply[1]), text(reply[2]), int(reply[3]))

    async def inspect(self, ref: SessionRef, digest: bytes) -> InspectedRefresh | None:
        keys = [*self._session_keys(ref), *self._user_key(ref.owner)]
        reply = await self.runner.script("inspect_refresh", keys, [ref.sid, digest])
        if not reply or int(reply[0]) != 1:
            return None
        return InspectedRefresh(text(reply[1]), text(reply[2]), int(reply[3]), int(reply[4]))

    async def list(self, owner: Owner) -> list[SessionInfo]:
        redis, keys = self.runner.redis, self.keys

        async def collect() -> list[SessionInfo]:
            members = await redis.zrange(keys.index(owner), 0, -1, withscores=True)
            sids = [text(sid) for sid, _ in members]
            pipe = redis.pipeline(transaction=False)  # the owner's keys: one slot
            for sid in sids:
                pipe.hmget(keys.session(owner, sid), "cid", "scope", "t")
                pipe.pttl(keys.session(owner, sid))
            replies = await pipe.execute() if sids else []
            out = []
            for (sid, (_, expiry)), data, ttl in zip(
                zip(sids, members, strict=True), replies[::2], replies[1::2], strict=True
            ):
                if data[0] is None:
                    continue
                created = int(text(data[2])) if data[2] is not None else 0
                ref = SessionRef(owner, sid)
                out.append(
                    SessionInfo(ref, text(data[0]), text(data[1]), int(expiry), int(ttl), created)
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

    async def end_all(self, owner: Owner, change: UserChange | None = None) -> int | None:
        keys = [self.keys.index(owner), *self._user_key(owner)]
        args: list[Any] = [self.keys.session_prefix(owner), self.keys.grace_prefix(owner)]
        if change is not None and change.password_hash is not None:
            args += ["pw", change.password_hash]
        if change is not None and change.disabled is not None:
            args += ["disabled", "1" if change.disabled else "0"]
        ended = int(await self.runner.script("end_sessions", keys, args))
        return None if ended < 0 else ended  # -1: the user record is gone
