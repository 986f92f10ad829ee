"""Keys and compact JWS for the local identity provider: honest ID tokens and hostile ones.

Signing is done with ``cryptography`` directly (python-jose stays behind service/crypto/jwt.py),
so a test can put anything in a header: ``alg: none``, HS256 keyed with a public key, a
``jku``, or a ``kid`` that names a key other than the one that signed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

Signer = Callable[[bytes], bytes]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, length: int | None = None) -> str:
    return b64url(value.to_bytes(length or (value.bit_length() + 7) // 8, "big"))


@functools.cache
def _private(alg: str, index: int) -> Any:
    """The index-th key of an algorithm, generated once per test process (RSA is slow)."""
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class IdpKey:
    """A signing key of the local IdP: its kid, algorithm, private key and public JWK."""

    kid: str
    alg: str
    private: Any
    jwk: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        public = self.private.public_key()
        if self.alg == "ES256":
            numbers = public.public_numbers()
            self.jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": _int_b64(numbers.x, 32),
                "y": _int_b64(numbers.y, 32),
            }
        else:
            numbers = public.public_numbers()
            self.jwk = {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
        self.jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})

    def sign(self, data: bytes) -> bytes:
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


_counter = iter(range(1_000_000))


def new_key(alg: str = "RS256", kid: str | None = None) -> IdpKey:
    """A fresh key (a distinct one from the per-process pool) with a kid of its own."""
    index = next(_counter)
    return IdpKey(kid or f"{alg.lower()}-{index}", alg, _private(alg, index))


def encode(header: dict[str, Any], claims: Any, signer: Signer | None) -> str:
    """A compact JWS of exactly this header and payload; no signature when ``signer`` is None."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = signer(signing_input.encode("ascii")) if signer else b""
    return f"{signing_input}.{b64url(signature)}"


def sign(key: IdpKey, claims: Any, **header: Any) -> str:
    """A token signed by ``key``; ``header`` adds to or overrides {alg, kid, typ: JWT}."""
    return encode({"alg": key.alg, "kid": key.kid, "typ": "JWT", **header}, claims, key.sign)


def unsigned(kid: str, claims: Any) -> str:
    """``alg: none`` with an empty signature (RFC 7519 §6)."""
    return encode({"alg": "none", "kid": kid, "typ": "JWT"}, claims, None)


def hs256_with_public_key(key: IdpKey, claims: Any, form: str = "pem") -> str:
    """HS256 keyed with the IdP's public key (the key-confusion attack); form: pem or jwk."""
    secret = key.public_pem() if form == "pem" else json.dumps(key.jwk).encode()
    return encode(
        {"alg": "HS256", "kid": key.kid, "typ": "JWT"},
        claims,
        lambda data: hmac.new(secret, data, hashlib.sha256).digest(),
    )


def impostor(kid: str, claims: Any, alg: str = "RS256") -> str:
    """Signed by a key the IdP never published, naming the IdP's ``kid``."""
    return sign(new_key(alg), claims, kid=kid)
