"""What lands in Redis: every key under the prefix, with a TTL where it can expire, no secret in clear."""

from __future__ import annotations

import pytest

from ..factories import basic_auth, make_client, make_user, store_of
from ..flows import anonymous, integration_login, login, ok, post, refresh, revoke_sdk

pytestmark = pytest.mark.integration

PREFIX = "acme-auth:"
PASSWORD = "a-password-nobody-guesses"
SECRET = "a-client-secret-nobody-guesses"


async def exercise(client):
    """Every kind of write: clients, user, sessions, rotation, revocations, failed logins."""
    store = store_of(client)
    app = await make_client(store, secret=SECRET)
    integ = await make_client(store, kind="integration", secret=SECRET)
    user = await make_user(store, password=PASSWORD)
    first = await ok(login(client, app.client_id, user.email, PASSWORD))
    _, second = await refresh(client, app.client_id, first["refresh_token"])
    integ_tokens = await ok(integration_login(client, integ.client_id, SECRET))
    anon = await ok(anonymous(client, app.client_id))
    exchanged = await post(
        client,
        "/v1/auth/token",
        {"grant_type": "token_exchange", "subject_token": second["access_token"]},
        headers={"Authorization": basic_auth(app.client_id, SECRET)},
    )
    revoked = await post(
        client,
        "/v1/auth/revoke",
        {"token": second["access_token"]},
        headers={"Authorization": basic_auth(app.client_id, SECRET)},
    )
    await revoke_sdk(client, anon["access_token"], anon["access_token"])
    failed = await post(
        client,
        "/v1/auth/token",
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.email,
            "password": "wrong",
        },
    )
    assert exchanged[0] == 200 and revoked[0] == 200 and failed[0] == 401
    secrets = [
        PASSWORD,
        SECRET,
        first["refresh_token"],
        first["access_token"],
        second["refresh_token"],
        second["access_token"],
        integ_tokens["refresh_token"],
        integ_tokens["access_token"],
        anon["access_token"],
        exchanged[1]["access_token"],
    ]
    for token in (first["refresh_token"], second["refresh_token"], integ_tokens["refresh_token"]):
        secrets.append(token.rsplit(".", 1)[1])  # the secret part alone
    return secrets


async def dump(raw) -> dict[bytes, bytes]:
    """Every key's value as bytes (hash fields and values, strings, zset members)."""
    out: dict[bytes, bytes] = {}
    async for key in raw.scan_iter(count=100):
        kind = await raw.type(key)
        if kind == b"hash":
            value = b"\n".join(k + b"=" + v for k, v in (await raw.hgetall(key)).items())
        elif kind == b"string":
            value = await raw.get(key)
        elif kind == b"zset":
            value = b"\n".join(m for m, _ in await raw.zrange(key, 0, -1, withscores=True))
        else:
            raise AssertionError(f"unexpected key type {kind!r} for {key!r}")
        out[key] = value
    return out


async def test_every_key_starts_with_the_configured_prefix(make_app, raw):
    """After every kind of request, SCAN finds only keys under redis.prefix."""
    client = await make_app(redis={"prefix": PREFIX})
    await exercise(client)

    keys = [key async for key in raw.scan_iter(count=100)]

    assert len(keys) >= 8
    assert all(key.startswith(PREFIX.encode()) for key in keys), keys


async def test_every_expiring_key_has_a_ttl(make_app, raw):
    """Sessions, indexes, grace keys, revocations and failure counters all carry a TTL."""
    client = await make_app(redis={"prefix": PREFIX})
    await exercise(client)
    permanent = (f"{PREFIX}client:", f"{PREFIX}user:", f"{PREFIX}email:")

    expiring = [k async for k in raw.scan_iter(count=100) if not k.decode().startswith(permanent)]

    kinds = {k.decode()[len(PREFIX) :].split(":")[0] for k in expiring}
    assert kinds == {"s", "sessions", "g", "revoked", "fail"}
    for key in expiring:
        assert await raw.pttl(key) > 0, key


async def test_redis_holds_no_token_password_or_secret_in_clear(make_app, raw):
    """No refresh token, access token, password or client secret appears in any key or value."""
    client = await make_app(redis={"prefix": PREFIX})
    secrets = await exercise(client)

    contents = await dump(raw)

    blob = b"\n".join(k + b"\n" + v for k, v in contents.items())
    for secret in secrets:
        assert secret.encode() not in blob, "a secret is stored in clear"
