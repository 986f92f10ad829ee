"""Marketplace user records in Redis hashes, with the keys that find them (``store/keys.py``).

A user is ``<p>user:{u-<uid>}``; ``<p>email:<email>`` and ``<p>identity:<idp>:<sub>`` name
the user that holds that e-mail or identity. The record is what counts: a lookup returns a
user only when the record still holds what the key says, and every change of those keys goes
through ``directory.py`` (one Lua step outside a Cluster).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ...models import Identity, User
from ...owners import Owner
from ..keys import Keys
from ..records import Change, Creation
from .directory import Directory, Outcome, Plan
from .runner import Runner, fields_of, pairs, text

IDP_FIELD = "idp:"  # a record's field per identity: idp:<idp id> -> sub


def _identities(data: dict[str, str]) -> tuple[Identity, ...]:
    found = (Identity(k[len(IDP_FIELD) :], v) for k, v in data.items() if k.startswith(IDP_FIELD))
    return tuple(sorted(found))


def record_of(user_id: str, data: dict[str, str]) -> User:
    return User(
        user_id=user_id,
        email=data.get("email", ""),
        password_hash=data.get("pw", ""),
        disabled=data.get("disabled", "0") == "1",
        generation=int(data.get("gen", "0") or 0),
        email_verified=data.get("ev", "0") == "1",
        created=int(data.get("created", "0") or 0),
        identities=_identities(data),
    )


def _change(outcome: Outcome) -> Change:
    if outcome.code == 0:
        return Change.DONE
    if outcome.code == -1:
        return Change.NO_USER
    return Change.CHANGED_MEANWHILE if outcome.code == -2 else Change.TAKEN


class RedisUsers:
    """UserStore on Redis: a hash per user, and the keys that find it."""

    def __init__(self, runner: Runner, keys: Keys) -> None:
        self.runner = runner
        self.keys = keys
        self.directory = Directory(runner, keys)

    async def _holder(self, key: str) -> str | None:
        raw = await self.runner.run("get_user_id", lambda: self.runner.redis.get(key))
        return text(raw) if raw else None

    async def find_id(self, email: str) -> str | None:
        return await self._holder(self.keys.email(email))

    async def get(self, user_id: str) -> User | None:
        key = self.keys.user(user_id)
        raw = await self.runner.run("get_user", lambda: self.runner.redis.hgetall(key))
        return record_of(user_id, fields_of(raw)) if raw else None

    async def find_by_email(self, email: str) -> User | None:
        user_id = await self.find_id(email)
        user = await self.get(user_id) if user_id else None
        return user if user is not None and user.email == email.strip().lower() else None

    async def find_by_identity(self, idp_id: str, sub: str) -> User | None:
        user_id = await self._holder(self.keys.identity(idp_id, sub))
        user = await self.get(user_id) if user_id else None
        return user if user is not None and Identity(idp_id, sub) in user.identities else None

    async def create(self, user: User) -> Creation:
        email = user.email.strip().lower()
        fields: dict[str, Any] = {
            "email": email,
            "pw": user.password_hash,
            "disabled": "1" if user.disabled else "0",
            "gen": "0",
            "ev": "1" if user.email_verified else "0",
            "created": user.created or int(time.time()),
        }
        fields.update({IDP_FIELD + i.idp_id: i.sub for i in user.identities})
        claims = (self.keys.email(email), *self._identity_keys(user.identities))
        outcome = await self.directory.apply(Plan(user.user_id, True, claims, sets=fields))
        if outcome.code == 0:
            return Creation.CREATED
        if outcome.code == -1:
            return Creation.ID_TAKEN
        return Creation.EMAIL_TAKEN if outcome.code == 1 else Creation.IDENTITY_TAKEN

    def _identity_keys(self, identities: Iterable[Identity]) -> list[str]:
        return [self.keys.identity(i.idp_id, i.sub) for i in identities]

    async def set_email(self, user: User, email: str, verified: bool) -> Change:
        email = email.strip().lower()
        plan = Plan(
            user.user_id,
            False,
            claims=(self.keys.email(email),),
            releases=(self.keys.email(user.email),) if user.email != email else (),
            guards={"email": user.email, "ev": "1" if user.email_verified else "0"},
            sets={"email": email, "ev": "1" if verified else "0"},
        )
        return _change(await self.directory.apply(plan))

    async def link(self, user: User, identity: Identity) -> Change:
        field = IDP_FIELD + identity.idp_id
        old = user.identity(identity.idp_id)
        plan = Plan(
            user.user_id,
            False,
            claims=(self.keys.identity(identity.idp_id, identity.sub),),
            releases=tuple(self._identity_keys([old] if old and old != identity else [])),
            guards={field: old.sub if old else ""},
            sets={field: identity.sub},
        )
        return _change(await self.directory.apply(plan))

    async def link_by_email(self, user: User, identity: Identity) -> Change:
        field = IDP_FIELD + identity.idp_id
        plan = Plan(
            user.user_id,
            False,
            claims=(self.keys.identity(identity.idp_id, identity.sub),),
            guards={field: "", "email": user.email, "ev": "1"},
            sets={field: identity.sub},
        )
        return _change(await self.directory.apply(plan))

    async def unlink(self, user: User, identity: Identity) -> Change:
        field = IDP_FIELD + identity.idp_id
        plan = Plan(
            user.user_id,
            False,
            releases=(self.keys.identity(identity.idp_id, identity.sub),),
            guards={field: identity.sub},
            deletes=(field,),
        )
        return _change(await self.directory.apply(plan))

    async def unlink_all(self, idp_id: str) -> int:
        found: list[str] = []

        async def scan() -> None:
            pattern = self.keys.identity_pattern(idp_id)
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                found.append(text(key))

        await self.runner.run("list_identities", scan)
        unlinked = 0
        prefix_len = len(self.keys.identity(idp_id, ""))
        for key in found:
            holder = await self._holder(key)
            user = await self.get(holder) if holder else None
            identity = Identity(idp_id, key[prefix_len:])
            if user is not None and identity in user.identities:
                unlinked += await self.unlink(user, identity) is Change.DONE
            elif holder:  # a key left naming a gone user, or one its record does not hold
                await self.runner.script("swap_value", [key], [holder, ""])
        return unlinked

    async def _update(self, user_id: str, fields: dict[str, str]) -> bool:
        """Set fields of an existing user (a deleted user is never re-created)."""
        keys = [self.keys.user(user_id)]
        return bool(await self.runner.script("hash_update", keys, pairs(fields)))

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        return await self._update(user_id, {"pw": password_hash})

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        return await self._update(user_id, {"disabled": "1" if disabled else "0"})

    async def set_email_verified(self, user_id: str, verified: bool) -> bool:
        return await self._update(user_id, {"ev": "1" if verified else "0"})

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        keys = [self.keys.user(user_id)]
        return bool(await self.runner.script("rehash_password", keys, [old_hash, new_hash]))

    async def delete(self, user: User) -> int:
        owner = Owner.user(user.user_id)
        keys = [self.keys.user(user.user_id), self.keys.index(owner)]
        prefixes = [self.keys.session_prefix(owner), self.keys.grace_prefix(owner)]
        reply = await self.runner.script("delete_user", keys, prefixes)
        gone = record_of(user.user_id, fields_of(dict(zip(reply[1::2], reply[2::2], strict=True))))
        # The user is gone: what still names them is given back (a lookup ignores it anyway).
        names = [self.keys.email(gone.email or user.email)]
        names += self._identity_keys(gone.identities or user.identities)
        for key in names:
            await self.runner.script("swap_value", [key], [user.user_id, ""])
        return int(reply[0])

    async def list(self) -> list[User]:
        ids: list[str] = []

        async def scan() -> None:
            pattern = self.keys.user_pattern()
            async for key in self.runner.redis.scan_iter(match=pattern, count=500):
                ids.append(self.keys.user_id_of(text(key)))

        await self.runner.run("list_users", scan)
        users = [await self.get(i) for i in sorted(ids)]
        return [u for u in users if u is not None]
