"""Users with their e-mail and identity keys on real Redis: every change is all or nothing, in
one Lua step (a single server) and in the ordered steps a Redis Cluster needs (forced here on
a single server, so both ways are proven on the same data)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.models import Identity, User
from service.store.records import Change, Creation
from service.store.redis import RedisBackend, connect

from ..conftest import make_settings

pytestmark = pytest.mark.integration


@pytest.fixture(params=["one step", "cluster steps"])
async def store(request: Any, redis_url: str) -> AsyncIterator[RedisBackend]:
    """The Redis backend, its directory running plans in one Lua step or step by step."""
    settings = make_settings(redis={"url": redis_url})
    backend = RedisBackend(connect(settings.redis), settings.redis.prefix)
    backend.users.directory.stepwise = request.param == "cluster steps"
    yield backend
    await backend.close()


def new_user(email: str, *identities: Identity) -> User:
    return User(str(uuid.uuid4()), email, "", identities=tuple(sorted(identities)))


async def keys_of(store: RedisBackend, pattern: str) -> set[str]:
    return {k.decode() async for k in store.redis.scan_iter(match=f"th:{pattern}")}


async def test_a_user_is_created_with_its_email_and_identities_at_once(store):
    """One creation stores the record, the e-mail key and each identity key."""
    user = new_user("a@example.com", Identity("google", "g"), Identity("facebook", "1"))

    assert await store.users.create(user) is Creation.CREATED

    assert (await store.users.find_by_email("A@example.com")).user_id == user.user_id
    assert (await store.users.find_by_identity("google", "g")).user_id == user.user_id
    assert (await store.users.find_by_identity("facebook", "1")).user_id == user.user_id
    assert (await store.users.get(user.user_id)).identities == user.identities


async def test_a_taken_identity_stores_nothing_of_the_new_user(store):
    """The second identity is another user's: no record, no e-mail key, no first identity."""
    await store.users.create(new_user("first@example.com", Identity("google", "taken")))
    user = new_user("second@example.com", Identity("apple", "free"), Identity("google", "taken"))

    assert await store.users.create(user) is Creation.IDENTITY_TAKEN

    assert await store.users.get(user.user_id) is None
    assert await store.users.find_id("second@example.com") is None
    assert await keys_of(store, "identity:apple:*") == set()


async def test_concurrent_creates_of_one_email_create_exactly_one_user(store):
    """Twenty creations of one e-mail at once: one CREATED, nineteen EMAIL_TAKEN, one record."""
    users = [new_user("race@example.com") for _ in range(20)]

    outcomes = await asyncio.gather(*(store.users.create(u) for u in users))

    assert sorted(o.value for o in outcomes) == ["created"] + ["email_taken"] * 19
    winner = users[outcomes.index(Creation.CREATED)]
    assert (await store.users.find_by_email("race@example.com")).user_id == winner.user_id
    assert len(await store.users.list()) == 1


async def test_a_key_left_by_a_user_deleted_by_hand_is_taken_over(store):
    """E-mail and identity keys naming a user whose record is gone block nobody."""
    gone = new_user("left@example.com", Identity("google", "left"))
    await store.users.create(gone)
    await store.redis.delete(store.keys.user(gone.user_id))
    user = new_user("left@example.com", Identity("google", "left"))

    assert await store.users.create(user) is Creation.CREATED
    assert (await store.users.find_by_identity("google", "left")).user_id == user.user_id


async def test_a_new_email_frees_the_old_one_and_a_taken_one_changes_nothing(store):
    """set_email moves the e-mail key; another user's e-mail answers TAKEN and nothing moves."""
    user = new_user("old@example.com")
    other = new_user("other@example.com")
    await store.users.create(user)
    await store.users.create(other)

    moved = await store.users.set_email(user, "new@example.com", True)
    current = await store.users.get(user.user_id)
    taken = await store.users.set_email(current, "other@example.com", False)

    assert (moved, taken) == (Change.DONE, Change.TAKEN)
    assert await store.users.find_by_email("old@example.com") is None
    found = await store.users.find_by_email("new@example.com")
    assert found.user_id == user.user_id and found.email_verified
    assert await store.users.find_id("old@example.com") is None


async def test_a_change_from_a_stale_read_is_refused(store):
    """set_email with the user as read before another change: CHANGED_MEANWHILE, no change."""
    user = new_user("stale@example.com")
    await store.users.create(user)
    await store.users.set_email(user, "fresh@example.com", False)

    outcome = await store.users.set_email(user, "third@example.com", False)

    assert outcome is Change.CHANGED_MEANWHILE
    assert (await store.users.get(user.user_id)).email == "fresh@example.com"
    assert await store.users.find_id("third@example.com") is None


async def test_linking_replaces_the_providers_account_and_unlinking_frees_it(store):
    """link replaces the sub of a provider (the old key goes); unlink frees the key."""
    user = new_user("link@example.com", Identity("google", "one"))
    await store.users.create(user)

    relinked = await store.users.link(user, Identity("google", "two"))
    current = await store.users.get(user.user_id)
    unlinked = await store.users.unlink(current, Identity("google", "two"))

    assert (relinked, unlinked) == (Change.DONE, Change.DONE)
    assert await keys_of(store, "identity:google:*") == set()
    assert (await store.users.get(user.user_id)).identities == ()


async def test_deleting_a_user_frees_every_key_that_named_them(store):
    """delete removes the record and gives back the e-mail and identity keys."""
    user = new_user("bye@example.com", Identity("google", "bye"))
    await store.users.create(user)

    await store.users.delete(user)

    assert await keys_of(store, "*") == set()


async def test_unlink_all_unlinks_a_providers_accounts_and_drops_stray_keys(store):
    """unlink_all(idp) unlinks every user there; a key naming a gone user is dropped too."""
    kept = new_user("k@example.com", Identity("apple", "k"), Identity("google", "k"))
    await store.users.create(kept)
    await store.users.create(new_user("l@example.com", Identity("google", "l")))
    await store.redis.set(store.keys.identity("google", "stray"), "gone-user")

    unlinked = await store.users.unlink_all("google")

    assert unlinked == 2
    assert await keys_of(store, "identity:google:*") == set()
    assert (await store.users.get(kept.user_id)).identities == (Identity("apple", "k"),)
