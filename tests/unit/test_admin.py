"""The application layer: the operators' operations and their rules, on fakeredis."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import AsyncIterator
from typing import Any

import fakeredis
import pytest

from service.admin import Admin, Conflict, Invalid, NotFound, build_admin, generate_signing_key
from service.crypto.hashing import SecretHasher
from service.models import ClientKind
from service.oauth.tokens import RefreshToken
from service.owners import Owner, SessionRef
from service.store.records import SessionLimits
from service.store.redis import RedisBackend

from ..conftest import make_settings

LIMITS = SessionLimits(idle_ms=60_000, max_ms=600_000, grace_ms=60_000, cap=10)


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
def admin(backend: RedisBackend, hasher: SecretHasher) -> Admin:
    return build_admin(backend, hasher)


async def open_session(backend: RedisBackend, owner: Owner, client_id: str = "app") -> SessionRef:
    token = RefreshToken.new(owner)
    created = await backend.sessions.create(
        token.ref, client_id=client_id, scope="user", digest=token.digest, limits=LIMITS
    )
    assert created is not None
    return token.ref


# apps -----------------------------------------------------------------------------------------
async def test_integration_app_always_gets_a_secret_stored_only_as_a_hash(admin, backend, hasher):
    """An integration app gets a random secret, shown once; the store keeps its argon2 hash."""
    created = await admin.apps.create(ClientKind.INTEGRATION, "backend")

    stored = await backend.clients.get(created.client.client_id)
    assert created.secret is not None and len(created.secret) >= 43
    assert stored is not None and stored.secret_hash != created.secret
    assert await hasher.verify(stored.secret_hash, created.secret)


async def test_marketplace_app_has_a_secret_only_when_asked(admin):
    """A marketplace app is public unless created with a secret."""
    public = await admin.apps.create(ClientKind.MARKETPLACE, "spa")
    confidential = await admin.apps.create(ClientKind.MARKETPLACE, "ssr", with_secret=True)

    assert public.secret is None and not public.client.has_secret
    assert confidential.secret is not None and confidential.client.has_secret


async def test_creating_an_app_with_a_taken_id_is_a_conflict_that_changes_nothing(admin, backend):
    """A second app with the same client id is refused; the first keeps its record."""
    first = await admin.apps.create(ClientKind.INTEGRATION, "first", client_id="app-1")

    with pytest.raises(Conflict, match="client app-1 exists"):
        await admin.apps.create(ClientKind.MARKETPLACE, "second", client_id="app-1")

    assert await backend.clients.get("app-1") == first.client


@pytest.mark.parametrize("client_id", ["", "has space", "dot.ted", "u" * 65, "ünï"])
async def test_a_client_id_its_refresh_tokens_could_not_carry_is_invalid(admin, client_id):
    """A chosen client id is 1 to 64 letters, digits or hyphens (what owner c-<id> can carry)."""
    with pytest.raises(Invalid, match="a client id is 1 to 64 letters, digits or hyphens"):
        await admin.apps.create(ClientKind.INTEGRATION, "backend", client_id=client_id)


async def test_a_deleted_apps_id_never_comes_back(admin, backend):
    """After apps delete the id stays taken: creating it again is a conflict saying why."""
    await admin.apps.create(ClientKind.MARKETPLACE, "old", client_id="app-2")
    await admin.apps.delete("app-2")

    with pytest.raises(Conflict, match="client id app-2 belonged to a deleted app"):
        await admin.apps.create(ClientKind.MARKETPLACE, "new", client_id="app-2")

    assert await backend.clients.get("app-2") is None
    assert await backend.clients.is_deleted("app-2")


async def test_rotating_a_secret_replaces_the_stored_hash(admin, backend, hasher):
    """After a rotation the new secret verifies and the old one does not."""
    created = await admin.apps.create(ClientKind.INTEGRATION, "backend")

    secret = await admin.apps.rotate_secret(created.client.client_id)

    stored = await backend.clients.get(created.client.client_id)
    assert stored is not None and stored.name == "backend"
    assert await hasher.verify(stored.secret_hash, secret)
    assert not await hasher.verify(stored.secret_hash, created.secret or "")


async def test_rotating_the_secret_of_an_unknown_app_is_not_found(admin):
    """No such app: NotFound, with a message naming it."""
    with pytest.raises(NotFound, match="no client nope"):
        await admin.apps.rotate_secret("nope")


async def test_deleting_an_app_ends_its_integration_sessions(admin, backend):
    """Deleting an app removes its record and every session it owns."""
    created = await admin.apps.create(ClientKind.INTEGRATION, "backend")
    owner = Owner.client(created.client.client_id)
    await open_session(backend, owner, created.client.client_id)

    await admin.apps.delete(created.client.client_id)

    assert await backend.clients.get(created.client.client_id) is None
    assert await backend.sessions.list(owner) == []
    with pytest.raises(NotFound, match=f"no client {created.client.client_id}"):
        await admin.apps.delete(created.client.client_id)


# users ----------------------------------------------------------------------------------------
async def test_user_email_is_normalized_and_unique_whatever_its_case(admin):
    """Emails are stored trimmed and lower-case; the same email in another case is a conflict."""
    user = await admin.users.create(" Alice@Example.com ", "password-1")

    with pytest.raises(Conflict, match="a user with email ALICE@example.com exists"):
        await admin.users.create("ALICE@example.com", "password-2")

    assert user.email == "alice@example.com"
    assert (await admin.users.find("alice@EXAMPLE.com")).user_id == user.user_id


@pytest.mark.parametrize("password", ["", "seven77", "x" * 4097, "nul\x00in password"])
async def test_a_short_long_or_control_character_password_is_invalid(admin, password):
    """A password has 8 to 4096 characters without control characters, at creation and change."""
    await admin.users.create("bob@example.com", "password")

    with pytest.raises(Invalid, match="a password has"):
        await admin.users.create("carol@example.com", password)
    with pytest.raises(Invalid, match="a password has"):
        await admin.users.set_password("bob@example.com", password)


async def test_set_password_ends_sessions_only_with_logout(admin, backend, hasher):
    """A new password keeps the sessions unless asked to log the user out everywhere."""
    user = await admin.users.create("dave@example.com", "old password")
    owner = Owner.user(user.user_id)
    await open_session(backend, owner)
    await open_session(backend, owner)

    kept = await admin.users.set_password("dave@example.com", "new password")
    ended = await admin.users.set_password("dave@example.com", "newer password", logout=True)

    stored = await backend.users.get(user.user_id)
    assert (kept.sessions_ended, ended.sessions_ended) == (0, 2)
    assert stored is not None and await hasher.verify(stored.password_hash, "newer password")
    assert await backend.sessions.list(owner) == []


async def test_disabling_a_user_ends_every_session_enabling_ends_none(admin, backend):
    """Disable marks the user disabled and ends all sessions (no new one opens while disabled);
    enable only clears the mark."""
    user = await admin.users.create("erin@example.com", "password")
    owner = Owner.user(user.user_id)
    await open_session(backend, owner)
    token = RefreshToken.new(owner)

    disabled = await admin.users.set_disabled("erin@example.com", True)
    after_disable = await backend.users.get(user.user_id)
    refused = await backend.sessions.create(
        token.ref, client_id="app", scope="user", digest=token.digest, limits=LIMITS
    )
    enabled = await admin.users.set_disabled("erin@example.com", False)
    await open_session(backend, owner)

    assert disabled.sessions_ended == 1 and after_disable is not None and after_disable.disabled
    assert refused is None
    assert enabled.sessions_ended == 0 and len(await backend.sessions.list(owner)) == 1
    assert not (await admin.users.find("erin@example.com")).disabled


async def test_deleting_a_user_ends_sessions_and_frees_the_email(admin, backend):
    """A deleted user is gone with every session, and the email can be used again."""
    user = await admin.users.create("frank@example.com", "password")
    owner = Owner.user(user.user_id)
    await open_session(backend, owner)

    deleted = await admin.users.delete_by_email("frank@example.com")

    assert deleted.sessions_ended == 1
    assert await backend.sessions.list(owner) == []
    with pytest.raises(NotFound, match="no user frank@example.com"):
        await admin.users.find("frank@example.com")
    assert (await admin.users.create("frank@example.com", "password")).user_id != user.user_id


async def test_operations_on_an_unknown_user_are_not_found(admin):
    """Every user operation names the missing email."""
    for call in (
        admin.users.set_password("ghost@example.com", "password"),
        admin.users.set_disabled("ghost@example.com", True),
        admin.users.delete_by_email("ghost@example.com"),
        admin.sessions.user_owner("ghost@example.com"),
    ):
        with pytest.raises(NotFound, match="no user ghost@example.com"):
            await call


# sessions -------------------------------------------------------------------------------------
async def test_sessions_are_listed_and_ended_one_by_reference_then_all(admin, backend):
    """An owner's sessions list with their references; one ends by reference, then the rest."""
    user = await admin.users.create("gina@example.com", "password")
    owner = await admin.sessions.user_owner("gina@example.com")
    refs = {await open_session(backend, owner) for _ in range(3)}

    listed = await admin.sessions.list(owner)
    one = await admin.sessions.end(str(next(iter(refs))))
    again = await admin.sessions.end(str(next(iter(refs))))
    rest = await admin.sessions.end_all(owner)

    assert owner == Owner.user(user.user_id)
    assert {s.ref for s in listed} == refs
    assert all(s.client_id == "app" and s.scope == "user" for s in listed)
    assert (one, again, rest) == (1, 0, 2)


@pytest.mark.parametrize("text", ["", "nope", "x-1.abc", "u-1.", ".abc", "u-1"])
async def test_a_malformed_session_reference_is_invalid(admin, text):
    """A session id must look like <owner>.<id>; anything else is refused before the store."""
    with pytest.raises(Invalid, match="a session id looks like"):
        await admin.sessions.end(text)


# keys -----------------------------------------------------------------------------------------
def test_a_generated_signing_key_is_private_to_its_owner_and_never_overwritten(tmp_path):
    """The PEM is written with mode 600 under <kid>.pem; the same kid again is a conflict."""
    key = generate_signing_key(tmp_path / "keys", "k1", "ES256")

    with pytest.raises(Conflict, match="k1.pem exists"):
        generate_signing_key(tmp_path / "keys", "k1", "ES256")

    assert key.kid == "k1" and key.path == tmp_path / "keys" / "k1.pem"
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert key.path.read_bytes().startswith(b"-----BEGIN")


def test_a_bad_kid_is_invalid_and_writes_nothing(tmp_path):
    """A kid outside [A-Za-z0-9._-] is refused and no file appears."""
    with pytest.raises(Invalid):
        generate_signing_key(tmp_path, "bad kid", "ES256")

    assert list(tmp_path.iterdir()) == []


# apps: update and redirect URIs ---------------------------------------------------------------
async def test_an_app_is_renamed_and_its_redirect_uris_replaced_as_a_whole(admin, backend):
    """update sets the name and replaces the redirect URI list; kind and secret stay."""
    made = await admin.apps.create(ClientKind.MARKETPLACE, "web", with_secret=True)
    cid = made.client.client_id
    await admin.apps.update(cid, redirect_uris=["https://a.example.com/cb"])

    updated = await admin.apps.update(
        cid, name="shop", redirect_uris=["https://b.example.com/cb", "http://localhost:3000/cb"]
    )

    stored = await backend.clients.get(cid)
    assert updated == stored
    assert stored is not None and stored.name == "shop"
    assert stored.redirect_uris == ("https://b.example.com/cb", "http://localhost:3000/cb")
    assert stored.secret_hash == made.client.secret_hash and stored.kind is ClientKind.MARKETPLACE


@pytest.mark.parametrize(
    ("uris", "rule"),
    [
        (["/relative"], "a redirect URI is an absolute http or https URI"),
        (["https://a.example.com/cb#frag"], "a redirect URI has no fragment"),
        (["https://user@a.example.com/cb"], "a redirect URI has no user information"),
        (["https://a.example.com/cb"] * 2, "a redirect URI is listed twice"),
        ([f"https://a.example.com/{i}" for i in range(21)], "an app has at most 20 redirect URIs"),
    ],
)
async def test_redirect_uris_are_validated_before_anything_is_stored(admin, backend, uris, rule):
    """A malformed, repeated or excessive redirect URI is Invalid and the app keeps its list."""
    made = await admin.apps.create(ClientKind.MARKETPLACE, "web")

    with pytest.raises(Invalid, match=rule):
        await admin.apps.update(made.client.client_id, redirect_uris=uris)

    assert (await backend.clients.get(made.client.client_id)).redirect_uris == ()


async def test_plain_http_redirect_uris_only_for_loopback_in_production(backend, hasher):
    """In production a redirect URI uses https, except for loopback hosts (RFC 8252 §7.3)."""
    admin = build_admin(backend, hasher, production=True)
    made = await admin.apps.create(ClientKind.MARKETPLACE, "web")

    with pytest.raises(Invalid, match="a redirect URI uses https"):
        await admin.apps.update(made.client.client_id, redirect_uris=["http://shop.example/cb"])
    kept = await admin.apps.update(made.client.client_id, redirect_uris=["http://127.0.0.1/cb"])

    assert kept.redirect_uris == ("http://127.0.0.1/cb",)


async def test_integration_apps_have_no_redirect_uris(admin):
    """Log in as a user returns to marketplace apps only."""
    made = await admin.apps.create(ClientKind.INTEGRATION, "backend")

    with pytest.raises(Invalid, match="only marketplace apps have redirect URIs"):
        await admin.apps.update(made.client.client_id, redirect_uris=["https://a.example.com/"])


async def test_updating_an_unknown_or_deleted_app_is_not_found(admin, backend):
    """A deleted app's tombstone is never updated back to life."""
    made = await admin.apps.create(ClientKind.MARKETPLACE, "web")
    await admin.apps.delete(made.client.client_id)

    for client_id in ("nope", made.client.client_id):
        with pytest.raises(NotFound, match=f"no client {client_id}"):
            await admin.apps.update(client_id, name="again")
    assert await backend.clients.is_deleted(made.client.client_id)


@pytest.mark.parametrize("name", ["", "tab\there", "x" * 201])
async def test_an_app_name_is_one_line_of_at_most_200_characters(admin, name):
    """Names have 1 to 200 characters and no control characters, at creation and rename."""
    with pytest.raises(Invalid, match="an app's name has 1 to 200 characters"):
        await admin.apps.create(ClientKind.MARKETPLACE, name)


# admin tokens ---------------------------------------------------------------------------------
async def test_an_admin_token_is_shown_once_and_stored_only_as_a_digest(admin, backend):
    """create returns tha_<id>_<secret> (256 random bits); the store holds a SHA-256 only."""
    made = await admin.admin_tokens.create("marketplace-backend")

    raw = await backend.redis.hgetall(f"th:admin-token:{made.record.token_id}")
    assert made.token.startswith(f"tha_{made.record.token_id}_") and len(made.token) == 64
    assert made.token.encode() not in b"".join(raw.values())
    assert raw[b"digest"] == hashlib.sha256(made.token.encode()).hexdigest().encode()
    assert (await admin.admin_tokens.authenticate(made.token)) == made.record


async def test_admin_tokens_are_listed_by_name_and_revoked_by_id(admin):
    """list shows id, name and creation; revoke makes the token fail; an unknown id is NotFound."""
    first = await admin.admin_tokens.create("backend")
    second = await admin.admin_tokens.create("operator alice")

    await admin.admin_tokens.revoke(first.record.token_id)

    assert [r.name for r in await admin.admin_tokens.list()] == ["operator alice"]
    assert await admin.admin_tokens.authenticate(first.token) is None
    assert await admin.admin_tokens.authenticate(second.token) == second.record
    with pytest.raises(NotFound, match=f"no admin token {first.record.token_id}"):
        await admin.admin_tokens.revoke(first.record.token_id)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there", "ünï"])
async def test_an_admin_token_name_is_printable_ascii(admin, name):
    """Names have 1 to 100 printable ASCII characters."""
    with pytest.raises(Invalid, match="an admin token's name has 1 to 100 printable ASCII"):
        await admin.admin_tokens.create(name)


# e-mail form ----------------------------------------------------------------------------------
def test_every_email_the_rules_accept_is_a_valid_email_of_the_document():
    """What check_email accepts passes the `format: email` check the admin document declares."""
    import re

    import jsonschema_rs
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from service.admin import rules

    label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    shape = re.compile(rf"{rules._ATOM}(?:\.{rules._ATOM})*@{label}(?:\.{label})*")
    checker = jsonschema_rs.validator_for(
        {"type": "string", "format": "email"}, validate_formats=True
    )

    @settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(shape, fullmatch=True))
    def accepted_is_valid(email: str) -> None:
        try:
            stored = rules.check_email(email)
        except Invalid:
            return
        assert checker.is_valid(stored), stored

    accepted_is_valid()


@pytest.mark.parametrize(
    "email", ["no-at", "a@b@c", "ú@example.com", "a..b@x.y", "a@-x.y", "a@ab--cd.y", "a b@x.y"]
)
def test_an_email_that_is_not_ascii_name_at_host_is_invalid(email):
    """Non-ASCII, two @, empty atoms, bad host labels, spaces: Invalid, stating the rule."""
    from service.admin.rules import check_email

    with pytest.raises(Invalid, match="an e-mail address is ASCII name@domain"):
        check_email(email)
