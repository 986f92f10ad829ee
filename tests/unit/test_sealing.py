"""The server key, its derived keys, and identity providers' app secrets sealed at rest."""

from __future__ import annotations

import base64
import stat
from collections.abc import AsyncIterator

import fakeredis
import pytest

from service.crypto.sealing import Sealer, idp_sealer
from service.crypto.server_key import (
    Purpose,
    ServerKey,
    ServerKeyError,
    ensure_key_file,
    load_server_key,
    with_local_server_key,
)
from service.errors import SecretsUnavailable
from service.idp.config import FacebookIdp, OidcIdp
from service.settings import SecretsSettings
from service.store.redis import RedisBackend

from ..conftest import make_settings

KEY = ServerKey(b"k" * 32)


def test_each_purpose_gets_a_key_of_its_own():
    """HKDF gives different 32-byte keys per purpose and per server key, never the secret."""
    other = ServerKey(b"o" * 32)

    keys = {KEY.derive(p) for p in Purpose} | {other.derive(p) for p in Purpose}

    assert len(keys) == 2 * len(Purpose)
    assert all(len(k) == 32 and k != b"k" * 32 for k in keys)
    assert "k" * 8 not in repr(KEY)


def test_a_sealed_secret_opens_only_with_its_key_and_context():
    """AES-GCM: the same key and context open it; another context or server key does not."""
    sealer = Sealer(KEY, Purpose.IDP_SECRETS)
    sealed = sealer.seal("app secret", context="facebook")

    assert sealed.startswith(f"v1.{sealer.key_id}.") and "app secret" not in sealed
    assert sealer.open(sealed, context="facebook") == "app secret"
    with pytest.raises(SecretsUnavailable, match="a sealed secret is damaged"):
        sealer.open(sealed, context="another-idp")
    with pytest.raises(SecretsUnavailable, match="sealed under another server key"):
        Sealer(ServerKey(b"o" * 32), Purpose.IDP_SECRETS).open(sealed, context="facebook")
    with pytest.raises(SecretsUnavailable, match="a sealed secret is damaged"):
        sealer.open(sealed[:-4] + "AAAA", context="facebook")


def test_sealing_twice_gives_different_texts():
    """A random nonce per seal: the same secret never seals to the same text."""
    sealer = Sealer(KEY, Purpose.IDP_SECRETS)

    assert sealer.seal("s", context="x") != sealer.seal("s", context="x")


def test_the_key_loads_from_the_environment_or_a_file(tmp_path):
    """Inline base64, or a file holding it (a Secret mount); none configured is None."""
    raw = b"r" * 32
    path = tmp_path / "server.key"
    path.write_text(base64.b64encode(raw).decode() + "\n")

    inline = load_server_key(SecretsSettings(server_key=base64.b64encode(raw).decode()))
    from_file = load_server_key(SecretsSettings(server_key_file=str(path)))

    assert inline is not None and from_file is not None
    assert inline.derive(Purpose.IDP_SECRETS) == from_file.derive(Purpose.IDP_SECRETS)
    assert load_server_key(SecretsSettings()) is None


def test_an_unusable_key_file_is_refused_without_quoting_it(tmp_path):
    """An unreadable file or one holding a short key: ServerKeyError naming the setting only."""
    short = tmp_path / "short.key"
    short.write_text(base64.b64encode(b"tiny-secret").decode())

    with pytest.raises(ServerKeyError, match="secrets.server_key_file cannot be read"):
        load_server_key(SecretsSettings(server_key_file=str(tmp_path)))  # a directory
    with pytest.raises(ServerKeyError, match="must hold base64 of at least 32") as caught:
        load_server_key(SecretsSettings(server_key_file=str(short)))
    assert "tiny" not in str(caught.value)


def test_a_key_file_that_does_not_exist_is_no_key(tmp_path):
    """The optional Secret not created yet: no key (Facebook providers are refused later)."""
    assert load_server_key(SecretsSettings(server_key_file=str(tmp_path / "absent"))) is None


def test_make_run_generates_one_key_beside_the_embedded_store(tmp_path):
    """Without a key and a Redis URL, a key file is made once (mode 600) and then reused."""
    settings = make_settings(secrets={"server_key": ""}, redis={"embedded_dir": str(tmp_path)})

    first = with_local_server_key(settings)
    second = with_local_server_key(settings)

    path = tmp_path / "server.key"
    assert first.secrets.server_key_file == second.secrets.server_key_file == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_server_key(first.secrets) is not None
    assert ensure_key_file(str(tmp_path)) == path
    external = make_settings(secrets={"server_key": ""}, redis={"url": "redis://h:6379/0"})
    assert with_local_server_key(external) == external


@pytest.fixture
async def backend() -> AsyncIterator[RedisBackend]:
    store = RedisBackend(fakeredis.aioredis.FakeRedis(), "th:", sealer=idp_sealer(KEY))
    yield store
    await store.close()


async def test_a_facebook_app_secret_is_never_in_redis_in_clear(backend):
    """The idp hash holds the sealed secret; config() opens it; get() never carries it."""
    await backend.idps.create(FacebookIdp("facebook", "123", "the-app-secret"))

    raw = await backend.redis.hgetall("th:idp:facebook")
    config = await backend.idps.config("facebook")
    record = await backend.idps.get("facebook")

    assert b"the-app-secret" not in b"".join(raw.values())
    assert raw[b"secret"].startswith(b"v1.")
    assert config == FacebookIdp("facebook", "123", "the-app-secret")
    assert "the-app-secret" not in repr(record)


async def test_without_a_server_key_facebook_secrets_are_neither_sealed_nor_opened(backend):
    """No key: adding a Facebook provider and opening one fail clearly; OIDC ones work."""
    keyless = RedisBackend(backend.redis, "th:")
    await backend.idps.create(FacebookIdp("facebook", "123", "the-app-secret"))

    with pytest.raises(SecretsUnavailable, match="no server key is configured"):
        await keyless.idps.create(FacebookIdp("fb2", "456", "other"))
    with pytest.raises(SecretsUnavailable, match="no server key is configured"):
        await keyless.idps.config("facebook")
    assert await keyless.idps.create(OidcIdp("g", "https://accounts.google.com", ("web",)))
    assert (await keyless.idps.get("facebook")).client_id == "123"
    assert await keyless.idps.config("g") == OidcIdp("g", "https://accounts.google.com", ("web",))
