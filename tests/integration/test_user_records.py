"""User records on real Redis: each change is one atomic step that never undoes another."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis import asyncio as aioredis

from service.models import User
from service.owners import Owner
from service.store.records import Creation
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings
from ..factories import hash_secret, make_client, make_user
from ..flows import login, ok

pytestmark = pytest.mark.integration


class ChangeAfterFirstReply(aioredis.Redis):
    """A real client on the real server that, right after its first command's reply (before
    it can send another), lets ``change`` run: a write of someone else's at the worst moment."""

    change: Callable[[], Awaitable[Any]] | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        reply = await super().execute_command(*args, **options)
        change, self.change = self.change, None
        if change is not None:
            await change()
        return reply


async def test_a_rehash_does_not_undo_a_password_change_made_meanwhile(redis_url, raw):
    """A password changed right after a login's rehash began reading stays changed."""
    seeding = RedisBackend(connect(make_settings(redis={"url": redis_url}).redis), "th:")
    user = await make_user(seeding)
    await seeding.close()
    key = "th:user:{u-" + user.user_id + "}"
    client = ChangeAfterFirstReply.from_url(redis_url)
    client.change = lambda: raw.hset(key, "pw", "changed by the operator")
    store = RedisBackend(client, "th:")

    await store.users.replace_password_hash(user.user_id, user.password_hash, "rehashed")
    await store.close()

    assert await raw.hget(key, "pw") == b"changed by the operator"


async def test_a_rehash_replaces_the_hash_the_login_verified(store, raw):
    """With no change in between, the rehash stores the new hash."""
    user = await make_user(store)

    await store.users.replace_password_hash(user.user_id, user.password_hash, "rehashed")

    assert await raw.hget(store.keys.user(user.user_id), "pw") == b"rehashed"


async def test_updating_a_deleted_user_does_not_recreate_the_record(store, raw):
    """Updating a user deleted meanwhile changes nothing and says so."""
    user = await make_user(store)
    await raw.delete(store.keys.user(user.user_id))

    assert await store.users.set_disabled(user.user_id, True) is False
    assert await raw.exists(store.keys.user(user.user_id)) == 0


async def test_delete_user_ends_sessions_and_frees_the_email(client, store, raw):
    """delete_user: the record, its sessions and its email key go; the email can be reused."""
    app = await make_client(store)
    user = await make_user(store, password="pw")
    for _ in range(2):
        await ok(login(client, app.client_id, user.email, "pw"))

    ended = await store.users.delete(user)
    again = await make_user(store, email=user.email, password="pw")

    assert ended == 2
    owner = Owner.user(user.user_id)
    assert [k async for k in raw.scan_iter(f"th:*{{{owner}}}*")] == []
    assert await store.users.find_id(user.email) == again.user_id


async def test_an_email_left_naming_a_missing_user_is_taken_over(store, raw):
    """An email key whose user record is gone (a deletion cut short) does not block the email."""
    await raw.set(store.keys.email("left@example.com"), "gone-user")
    user = User(str(uuid.uuid4()), "left@example.com", hash_secret("pw"))

    assert await store.users.create(user) is Creation.CREATED
    assert await store.users.find_id("left@example.com") == user.user_id


async def test_an_email_of_a_live_user_is_not_taken(store):
    """Creating a user with the e-mail of an existing one: EMAIL_TAKEN, nothing changes."""
    first = await make_user(store, email="taken@example.com")
    second = User(str(uuid.uuid4()), "taken@example.com", hash_secret("pw"))

    assert await store.users.create(second) is Creation.EMAIL_TAKEN
    assert await store.users.find_id("taken@example.com") == first.user_id
    assert await store.users.get(second.user_id) is None
