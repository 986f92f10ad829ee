"""Secrets sealed at rest with AES-256-GCM under a key derived from the server secret.

A sealed value reads ``v1.<key id>.<base64url(nonce | ciphertext | tag)>``. The key id (the
first 8 hex digits of the key's SHA-256) tells a value sealed under another server key from a
damaged one; the context (e.g. an identity provider's id) is authenticated as associated data,
so a sealed value copied onto another record does not open.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import SecretsUnavailable
from .server_key import Purpose, ServerKey

VERSION = "v1"
NONCE_BYTES = 12  # 96-bit random nonces (NIST SP 800-38D §8.2.2)


class Sealer:
    """Seals and opens the secrets of one purpose."""

    def __init__(self, server_key: ServerKey, purpose: Purpose) -> None:
        key = server_key.derive(purpose)
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:8]

    def seal(self, secret: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode("utf-8"), context.encode("utf-8"))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{VERSION}.{self.key_id}.{body}"

    def open(self, sealed: str, *, context: str) -> str:
        """The secret; SecretsUnavailable when it was sealed under another key or damaged."""
        version, _, rest = sealed.partition(".")
        key_id, _, body = rest.partition(".")
        if version != VERSION or not body:
            raise SecretsUnavailable("a sealed secret is damaged")
        if key_id != self.key_id:
            raise SecretsUnavailable("a secret was sealed under another server key")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (ValueError, InvalidTag):
            raise SecretsUnavailable("a sealed secret is damaged") from None
        return plain.decode("utf-8")


def idp_sealer(server_key: ServerKey | None) -> Sealer | None:
    """The sealer of identity providers' app secrets; None without a server key."""
    return Sealer(server_key, Purpose.IDP_SECRETS) if server_key is not None else None
