"""Plain factory functions for tests: clients, users, auth headers, the app's backend."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import quote_plus

from argon2 import PasswordHasher

from service.app import BACKEND
from service.loginas import pkce
from service.loginas.codes import CODE_TTL, CodeRecord, code_digest, new_code
from service.models import Client, ClientKind, Operator, User
from service.store.redis import RedisBackend

# The cheap parameters of config/test.toml, so hashes made here verify fast.
_PH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16)


def hash_secret(secret: str) -> str:
    return _PH.hash(secret)


async def make_client(
    store: RedisBackend,
    *,
    kind: str = "marketplace",
    secret: str | None = None,
    client_id: str | None = None,
    name: str = "test app",
) -> Client:
    client = Client(
        client_id or str(uuid.uuid4()),
        ClientKind(kind),
        name,
        hash_secret(secret) if secret else "",
    )
    await store.clients.save(client)
    return client


async def make_user(
    store: RedisBackend, *, email: str | None = None, password: str = "correct horse"
) -> User:
    user = User(
        str(uuid.uuid4()), email or f"{uuid.uuid4().hex[:8]}@example.com", hash_secret(password)
    )
    assert await store.users.create(user)
    return user


async def make_operator(
    store: RedisBackend,
    *,
    email: str | None = None,
    password: str = "operator password",
    disabled: bool = False,
) -> Operator:
    operator = Operator(
        str(uuid.uuid4()),
        email or f"op-{uuid.uuid4().hex[:8]}@example.com",
        hash_secret(password),
        disabled,
    )
    assert await store.operators.create(operator)
    return operator


VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
REDIRECT_URI = "https://market.example/api/login-as"


async def issue_code(
    store: RedisBackend,
    app: Client,
    user: User,
    operator: Operator,
    *,
    redirect_uri: str = REDIRECT_URI,
    verifier: str = VERIFIER,
    ttl_ms: int = CODE_TTL * 1000,
) -> str:
    """A login-as code, as an operator's confirmation stores it; the code itself."""
    code = new_code()
    record = CodeRecord(
        app.client_id, redirect_uri, user.user_id, pkce.s256(verifier), operator.operator_id
    )
    assert await store.login_codes.save(code_digest(code), record, ttl_ms)
    return code


def store_of(client: Any) -> RedisBackend:
    """The Redis backend behind an app's test client (for arranging data)."""
    return client.server.app[BACKEND]


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 Appendix B: form-urlencode each part, then base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()
