"""The server secret with the purpose-specific keys HKDF derives from it (RFC 5869).

One secret (``TOKENHOUSE_SECRETS__SERVER_KEY`` or ``__SERVER_KEY_FILE``, base64 of at least
32 random bytes) serves several purposes, each with a key of its own that says nothing about
the others: ``IDP_SECRETS`` seals identity providers' app secrets; log in as a user derives
its CSRF key under another purpose. The secret is never logged, shown or stored in Redis.
"""

from __future__ import annotations

import base64
import os
import secrets
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..settings import SecretsSettings, Settings, replace
from ..validation import MIN_SERVER_KEY, decode_server_key

KEY_FILE = "server.key"  # in the embedded store's directory, for `make run`


class Purpose(StrEnum):
    """What a derived key is for (the HKDF ``info``)."""

    IDP_SECRETS = "idp-secrets"
    LOGIN_AS_CSRF = "login-as-csrf"


class ServerKeyError(Exception):
    """The configured server key cannot be used; the message names the setting only."""


class ServerKey:
    """The server secret; hands out derived keys, never itself."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SERVER_KEY:
            raise ServerKeyError(f"the server key has fewer than {MIN_SERVER_KEY} bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "ServerKey(<hidden>)"

    def derive(self, purpose: Purpose, length: int = 32) -> bytes:
        """The key for ``purpose`` (HKDF-SHA256, no salt: the secret is uniformly random)."""
        info = f"tokenhouse/{purpose.value}/v1".encode()
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
            self._secret
        )


def load_server_key(settings: SecretsSettings) -> ServerKey | None:
    """The configured key (inline or from its file); None when none is configured, or its file
    does not exist (an optional Secret not created yet). A key that is there but cannot be
    used raises ServerKeyError."""
    text = settings.server_key
    if settings.server_key_file:
        try:
            text = Path(settings.server_key_file).read_text("ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ServerKeyError(
                f"secrets.server_key_file cannot be read ({type(exc).__name__})"
            ) from None
    if not text:
        return None
    raw = decode_server_key(text)
    if raw is None:
        where = "secrets.server_key_file" if settings.server_key_file else "secrets.server_key"
        raise ServerKeyError(
            f"{where} must hold base64 of at least {MIN_SERVER_KEY} random bytes "
            "(e.g. `openssl rand -base64 32`)"
        )
    return ServerKey(raw)


def ensure_key_file(directory: str) -> Path:
    """``<directory>/server.key``: a new random key (mode 600) unless one is there already."""
    path = Path(directory).resolve() / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(MIN_SERVER_KEY)

        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(key).decode() + "\n")
    return path


def with_local_server_key(settings: Settings) -> Settings:
    """Settings whose server key, when none is configured and the store is the embedded one
    (`make run`), is a file generated once in the embedded store's directory."""
    if settings.secrets.server_key or settings.secrets.server_key_file or settings.redis.url:
        return settings
    path = ensure_key_file(settings.redis.embedded_dir)
    return replace(settings, secrets={"server_key_file": str(path)})
