"""Operators in the application layer: accounts, their rules, sign-in, sessions, throttling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import fakeredis
import pytest
from argon2 import PasswordHasher

from service.admin import Conflict, Invalid, NotFound, Operators, OperatorSessions
from service.crypto.hashing import SecretHasher
from service.loginas.audit import Outcome
from service.loginas.session import SESSION_TTL, session_digest
from service.settings import ThrottleSettings
from service.store.records import LoginCounter
from service.store.redis import RedisBackend

from ..conftest import make_settings

EMAIL = "Support@Example.com"
PASSWORD = "operator password"
SOURCE = "203.0.113.7"
LIMITS = ThrottleSettings(account_failures=3, source_failures=50, window=900)


@pytest.fixture
async def backend() -> AsyncIterator[RedisBackend]:
    store = RedisBackend(fakeredis.aioredis.FakeRedis(), "th:")
    yield store
    await store.close()


@pytest.fixture
def hasher() -> Any:
    hasher = SecretHasher(make_settings().hashing)
    yield hasher
    hasher.close()


@pytest.fixture
def operators(backend: RedisBackend, hasher: SecretHasher) -> Operators:
    return Operators(backend.operators, hasher)


@pytest.fixture
def console(backend: RedisBackend, hasher: SecretHasher) -> OperatorSessions:
    return OperatorSessions(
        backend.operators, backend.operator_sessions, backend.throttle, LIMITS, hasher
    )


# accounts -------------------------------------------------------------------------------------
async def test_create_stores_the_lower_case_email_and_an_argon2id_hash(operators, backend):
    """A new operator: a UUID, the e-mail in lower case, only an argon2id hash of the password."""
    created = await operators.create(EMAIL, PASSWORD)

    stored = await backend.operators.get(created.operator_id)
    assert stored == created and stored.email == "support@example.com"
    assert stored.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)
    assert not stored.disabled and stored.created > 0


async def test_an_email_belongs_to_one_operator(operators):
    """A second operator with the same e-mail (any case) is a conflict."""
    await operators.create(EMAIL, PASSWORD)

    with pytest.raises(Conflict):
        await operators.create(" support@EXAMPLE.com ", "another password")


async def test_parallel_creates_of_one_email_make_one_operator(operators):
    """Ten simultaneous creates of one e-mail: one operator, nine conflicts."""
    results = await asyncio.gather(
        *(operators.create(EMAIL, PASSWORD) for _ in range(10)), return_exceptions=True
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 9
    assert len(await operators.list()) == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [("no-at-sign", PASSWORD), ("a@b@c", PASSWORD), (EMAIL, "short"), (EMAIL, "x" * 1025)],
    ids=["no-at", "two-at", "short-password", "long-password"],
)
async def test_malformed_email_or_password_is_invalid(operators, email, password):
    """An e-mail that is not name@domain, or a password outside 8-1024 characters: Invalid."""
    with pytest.raises(Invalid):
        await operators.create(email, password)


async def test_operators_are_not_marketplace_users(operators, backend):
    """An operator is no user: the user store does not know the e-mail."""
    await operators.create(EMAIL, PASSWORD)

    assert await backend.users.find_id(EMAIL) is None
    assert await backend.users.list() == []


async def test_list_orders_by_email(operators):
    """list gives every operator, by e-mail."""
    for email in ("b@example.com", "a@example.com", "c@example.com"):
        await operators.create(email, PASSWORD)

    assert [o.email for o in await operators.list()] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


@pytest.mark.parametrize("operator_id", ["nope", "../x", "6f9619ff-8b86-d011-b42d-00c04fc964ff"])
async def test_unknown_or_malformed_id_is_not_found(operators, operator_id):
    """get, disable and delete of an id that is no operator's: NotFound."""
    for call in (
        operators.get(operator_id),
        operators.set_disabled(operator_id, True),
        operators.delete(operator_id),
    ):
        with pytest.raises(NotFound):
            await call


async def test_delete_frees_the_email(operators):
    """After delete the operator is gone and its e-mail can be given to a new one."""
    first = await operators.create(EMAIL, PASSWORD)

    await operators.delete(first.operator_id)
    second = await operators.create(EMAIL, PASSWORD)

    with pytest.raises(NotFound):
        await operators.get(first.operator_id)
    assert second.operator_id != first.operator_id


async def test_disable_then_enable(operators):
    """set_disabled flips the flag both ways and answers the new state."""
    created = await operators.create(EMAIL, PASSWORD)

    disabled = await operators.set_disabled(created.operator_id, True)
    enabled = await operators.set_disabled(created.operator_id, False)

    assert (disabled.disabled, enabled.disabled) == (True, False)
    assert (await operators.get(created.operator_id)).disabled is False


# sign-in and sessions ------------------------------------------------------------------------
async def test_sign_in_starts_a_session_naming_the_operator(operators, console, backend):
    """The right e-mail (any case) and password: SIGNED_IN and a session the store keeps."""
    created = await operators.create(EMAIL, PASSWORD)

    signed = await console.sign_in("support@example.COM", PASSWORD, source=SOURCE)

    assert signed.outcome is Outcome.SIGNED_IN and signed.operator == created
    assert await console.current(signed.session_id) == created
    key = backend.keys.operator_session(session_digest(signed.session_id))
    assert 0 < await backend.redis.pttl(key) <= SESSION_TTL * 1000
    assert signed.session_id.encode() not in repr(await backend.redis.hgetall(key)).encode()


@pytest.mark.parametrize(
    ("email", "password"), [(EMAIL, "wrong password"), ("nobody@example.com", PASSWORD)]
)
async def test_wrong_password_and_unknown_email_get_one_answer(operators, console, email, password):
    """A wrong password and an unknown e-mail both end BAD_CREDENTIALS, with no session."""
    await operators.create(EMAIL, PASSWORD)

    signed = await console.sign_in(email, password, source=SOURCE)

    assert (signed.outcome, signed.session_id) == (Outcome.BAD_CREDENTIALS, None)


async def test_a_disabled_operator_is_told_only_with_the_right_password(operators, console):
    """Disabled: OPERATOR_DISABLED with the right password, BAD_CREDENTIALS with a wrong one."""
    created = await operators.create(EMAIL, PASSWORD)
    await operators.set_disabled(created.operator_id, True)

    right = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)
    wrong = await console.sign_in(EMAIL, "wrong password", source=SOURCE)

    assert (right.outcome, right.session_id) == (Outcome.OPERATOR_DISABLED, None)
    assert wrong.outcome is Outcome.BAD_CREDENTIALS


async def test_disabling_ends_sessions_for_good(operators, console):
    """A disabled operator's session is refused at once, and enabling does not bring it back."""
    created = await operators.create(EMAIL, PASSWORD)
    signed = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)

    await operators.set_disabled(created.operator_id, True)
    while_disabled = await console.current(signed.session_id)
    await operators.set_disabled(created.operator_id, False)

    assert while_disabled is None
    assert await console.current(signed.session_id) is None
    again = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)
    assert await console.current(again.session_id) == await operators.get(created.operator_id)


async def test_deleting_ends_sessions(operators, console):
    """A deleted operator's session is refused, even after a new operator takes the e-mail."""
    created = await operators.create(EMAIL, PASSWORD)
    signed = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)

    await operators.delete(created.operator_id)
    await operators.create(EMAIL, PASSWORD)

    assert await console.current(signed.session_id) is None


async def test_sign_out_ends_the_session(operators, console):
    """After sign_out the session id is worth nothing."""
    await operators.create(EMAIL, PASSWORD)
    signed = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)

    await console.sign_out(signed.session_id)

    assert await console.current(signed.session_id) is None


async def test_signing_in_again_ends_the_previous_session(operators, console):
    """A new sign-in gets a new id (no fixation) and ends the one it replaces."""
    await operators.create(EMAIL, PASSWORD)
    first = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)

    second = await console.sign_in(EMAIL, PASSWORD, source=SOURCE, replacing=first.session_id)

    assert second.session_id != first.session_id
    assert await console.current(first.session_id) is None
    assert await console.current(second.session_id) is not None


@pytest.mark.parametrize("session_id", [None, "", "short", "x" * 43 + "!", "A" * 43])
async def test_ill_formed_or_unknown_session_ids_are_no_one(console, session_id):
    """A missing, ill-formed or unknown session id names no operator."""
    assert await console.current(session_id) is None
    await console.sign_out(session_id)  # and ending it is harmless


# throttling ----------------------------------------------------------------------------------
async def test_failed_sign_ins_are_throttled_per_account(operators, console):
    """Past account_failures the next attempt is THROTTLED, with the right password too."""
    await operators.create(EMAIL, PASSWORD)
    for _ in range(LIMITS.account_failures):
        assert (await console.sign_in(EMAIL, "wrong", source=SOURCE)).outcome is not (
            Outcome.THROTTLED
        )

    throttled = await console.sign_in(EMAIL, PASSWORD, source=SOURCE)

    assert throttled.outcome is Outcome.THROTTLED and throttled.session_id is None
    assert 0 < throttled.retry_after <= LIMITS.window


async def test_unknown_emails_are_throttled_alike(console):
    """An e-mail no operator has is counted and throttled the same way."""
    outcomes = [
        (await console.sign_in("ghost@example.com", "x", source=SOURCE)).outcome for _ in range(4)
    ]

    assert outcomes == [Outcome.BAD_CREDENTIALS] * 3 + [Outcome.THROTTLED]


async def test_parallel_attempts_cannot_pass_the_limit(operators, console):
    """Twelve wrong passwords at once: at most account_failures are checked, the rest throttled."""
    await operators.create(EMAIL, PASSWORD)

    results = await asyncio.gather(
        *(console.sign_in(EMAIL, "wrong", source=SOURCE) for _ in range(12))
    )

    assert sum(r.outcome is not Outcome.THROTTLED for r in results) <= LIMITS.account_failures


async def test_success_clears_the_accounts_failures(operators, console):
    """A successful sign-in forgives the account's earlier failures."""
    await operators.create(EMAIL, PASSWORD)
    for _ in range(LIMITS.account_failures - 1):
        await console.sign_in(EMAIL, "wrong", source=SOURCE)

    await console.sign_in(EMAIL, PASSWORD, source=SOURCE)
    after = [(await console.sign_in(EMAIL, "wrong", source=SOURCE)).outcome for _ in range(3)]

    assert Outcome.THROTTLED not in after


async def test_operator_and_user_counters_are_apart(operators, console, backend):
    """An operator's failures are not counted against a marketplace user of the same e-mail."""
    await operators.create(EMAIL, PASSWORD)
    for _ in range(LIMITS.account_failures):
        await console.sign_in(EMAIL, "wrong", source=SOURCE)

    user_counter = await backend.throttle.count(
        LoginCounter.account(EMAIL), limit=LIMITS.account_failures, window=LIMITS.window
    )

    assert getattr(user_counter, "count", None) == 1


async def test_the_source_counter_is_shared_with_the_password_grant(operators, console, backend):
    """One source counts operators' and users' failures together (the same policy)."""
    await operators.create(EMAIL, PASSWORD)
    await console.sign_in(EMAIL, "wrong", source=SOURCE)

    source = await backend.throttle.count(LoginCounter.source(SOURCE), limit=50, window=900)

    assert getattr(source, "count", None) == 2


async def test_parallel_right_passwords_all_sign_in(operators, console):
    """Right passwords at once beyond account_failures wait for those in flight: all sign in."""
    await operators.create(EMAIL, PASSWORD)

    results = await asyncio.gather(
        *(console.sign_in(EMAIL, PASSWORD, source=SOURCE) for _ in range(6))
    )

    assert [r.outcome for r in results] == [Outcome.SIGNED_IN] * 6


async def busy(backend: RedisBackend) -> bool:
    return bool(await backend.redis.keys("th:busy:*"))


async def until(check: Any, wanted: bool) -> None:
    for _ in range(5000):
        if await check() is wanted:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the attempt's in-flight mark never got there")


async def test_a_cancelled_sign_in_gives_its_attempt_back(operators, console, backend, monkeypatch):
    """A sign-in whose browser left while argon2 ran is not counted, and not in flight."""
    await operators.create(EMAIL, PASSWORD)
    checking, verify = asyncio.Event(), console.hasher.verify

    async def held(*args: Any) -> bool:
        await checking.wait()
        return bool(await verify(*args))

    monkeypatch.setattr(console.hasher, "verify", held)
    task = asyncio.ensure_future(console.sign_in(EMAIL, "wrong", source=SOURCE))
    await until(lambda: busy(backend), True)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    checking.set()
    await until(lambda: busy(backend), False)
    outcomes = [
        (await console.sign_in(EMAIL, "wrong", source=SOURCE)).outcome
        for _ in range(LIMITS.account_failures)
    ]

    assert Outcome.THROTTLED not in outcomes
