"""JWT access tokens (RFC 9068 profile): the only module that imports python-jose.

Signing keys are PEM private keys in a directory (a Kubernetes Secret mount), the file stem
being the ``kid``. Every key is published in the JWKS; one signs. Verification pins the
algorithm, picks the key by ``kid`` itself and checks every claim itself, because
python-jose tries every key, accepts tokens without ``aud`` or ``exp`` and raises
``TypeError`` on malformed numeric claims.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jose import jwk, jws
from jose.backends import ECKey, RSAKey
from jose.exceptions import JOSEError

KID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TYP = "at+jwt"
# Seconds of clock skew accepted on exp, iat and nbf. Our own tokens are checked by pods that
# share NTP time, so a few seconds at most (tokens.leeway); a caller checking a token stamped
# by a foreign clock (an identity provider's) passes its own, up to 60 s, to verify().
OWN_LEEWAY = 5
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
OWN_MAX_LENGTH = 4096  # our access tokens are far shorter
VERIFIED_CACHE = 10_000  # verified tokens remembered per process


class SigningKeyError(Exception):
    """A signing key is missing, unreadable or of the wrong kind."""


class InvalidJwt(Exception):
    """The token is not one of ours, or not valid now (the reason is for logs only)."""


def assert_backend() -> None:
    """Refuse python-jose's pure-python ECDSA backend (open to a timing attack)."""
    if "Cryptography" not in ECKey.__name__ or "Cryptography" not in RSAKey.__name__:
        raise SigningKeyError(
            "python-jose is not using the cryptography backend; install python-jose[cryptography]"
        )


def _unverified_header(token: str, max_length: int) -> dict[str, Any]:
    """The header of a compact JWS of at most ``max_length`` characters, not yet verified."""
    if len(token) > max_length or token.count(".") != 2:
        raise InvalidJwt("not a compact JWS")
    try:
        header = jws.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError) as exc:
        raise InvalidJwt("unreadable header") from exc
    if not isinstance(header, dict):
        raise InvalidJwt("header is not an object")
    return header


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: Any  # a python-jose Key object, built once
    verifier: Any  # its public half, for verification
    public_jwk: dict[str, Any]


def generate_pem(algorithm: str) -> bytes:
    """A new private key in PEM (PKCS#8) for the algorithm."""
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_key(kid: str, pem: bytes, algorithm: str) -> SigningKey:
    """Build a SigningKey; refuse symmetric, public-only or mismatched keys."""
    if not KID_RE.match(kid):
        raise SigningKeyError(f"key id {kid!r}: use letters, digits, '.', '_' and '-' only")
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"key {kid!r} is not a PEM private key (symmetric keys are refused)"
        ) from exc
    if algorithm == "ES256" and not (
        isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1"
    ):
        raise SigningKeyError(f"key {kid!r} is not a P-256 EC key, as ES256 needs")
    if algorithm == "RS256" and not (
        isinstance(private, rsa.RSAPrivateKey) and private.key_size >= 2048
    ):
        raise SigningKeyError(
            f"key {kid!r} is not an RSA key of at least 2048 bits, as RS256 needs"
        )
    key = jwk.construct(pem.decode("ascii"), algorithm)
    verifier = key.public_key()
    public = verifier.to_dict()
    public = {k: (v.decode("ascii") if isinstance(v, bytes) else v) for k, v in public.items()}
    public.update({"kid": kid, "use": "sig", "alg": algorithm})
    return SigningKey(kid=kid, key=key, verifier=verifier, public_jwk=public)


def load_key_dir(directory: Path, algorithm: str) -> list[SigningKey]:
    """Every ``*.pem`` in the directory, sorted by kid."""
    if not directory.is_dir():
        raise SigningKeyError(f"keys.dir {str(directory)!r} is not a directory")
    keys = [load_key(p.stem, p.read_bytes(), algorithm) for p in sorted(directory.glob("*.pem"))]
    if not keys:
        raise SigningKeyError(f"keys.dir {str(directory)!r} holds no *.pem file")
    return keys


def _raw_signer(private: Any, algorithm: str) -> Any:
    """JWS signature bytes from the cryptography key itself (what python-jose's sign does,
    without its per-call wrapper): ES256 is r || s, 32 bytes each (RFC 7518 §3.4)."""
    if algorithm == "ES256":
        ecdsa = ec.ECDSA(hashes.SHA256())

        def sign_es256(data: bytes) -> bytes:
            r, s = decode_dss_signature(private.sign(data, ecdsa))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

        return sign_es256
    pkcs1 = padding.PKCS1v15()
    sha256 = hashes.SHA256()
    return lambda data: private.sign(data, pkcs1, sha256)


class JwtCodec:
    """Sign and verify access tokens with one algorithm and a set of keys."""

    def __init__(
        self,
        keys: list[SigningKey],
        active_kid: str,
        *,
        algorithm: str,
        issuer: str,
        audience: str,
        leeway: float = OWN_LEEWAY,
    ) -> None:
        assert_backend()
        self.algorithm = algorithm
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._keys = {k.kid: k for k in keys}
        if active_kid not in self._keys:
            raise SigningKeyError(
                f"keys.active_kid {active_kid!r} is not among {sorted(self._keys)}"
            )
        self._active = self._keys[active_kid]
        header = {"alg": algorithm, "kid": active_kid, "typ": TYP}
        self._header = _b64(orjson.dumps(header))
        self._sign_raw = _raw_signer(self._active.key.prepared_key, algorithm)
        self._jwks = orjson.dumps({"keys": [k.public_jwk for k in keys]})
        self._verified: dict[str, dict[str, Any]] = {}

    @property
    def active_kid(self) -> str:
        return self._active.kid

    def jwks_json(self) -> bytes:
        return self._jwks

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of the claims, signed by the active key."""
        signing_input = self._header + b"." + _b64(orjson.dumps(claims))
        return (signing_input + b"." + _b64(self._sign_raw(signing_input))).decode("ascii")

    def verify(self, token: str, now: float, *, leeway: float | None = None) -> dict[str, Any]:
        """The claims of a valid access token of ours; InvalidJwt otherwise.

        ``leeway`` (seconds of clock skew on exp, iat and nbf) defaults to the codec's own.
        A token whose signature and header were verified once is remembered by its exact
        text, so the same token presented again (token exchange and introspection see the same
        access token many times) skips the signature check; the claims are checked every time.
        """
        skew = self.leeway if leeway is None else leeway
        verified = self._verified.get(token)
        if verified is not None:
            self._check_claims(verified, now, skew)
            return dict(verified)
        claims = self._verify_signed(token)
        self._check_claims(claims, now, skew)
        if len(self._verified) >= VERIFIED_CACHE:
            self._verified.clear()  # simple and bounded: entries are cheap to rebuild
        self._verified[token] = claims
        return dict(claims)

    def _verify_signed(self, token: str) -> dict[str, Any]:
        """Header rules and the signature; the claims as an object."""
        header = _unverified_header(token, OWN_MAX_LENGTH)
        if header.get("alg") != self.algorithm:
            raise InvalidJwt(f"alg {str(header.get('alg'))[:16]!r} is not allowed")
        if FORBIDDEN_HEADERS & header.keys():
            raise InvalidJwt("header names a key source or critical extension")
        if header.get("typ") != TYP:
            raise InvalidJwt("typ is not at+jwt")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidJwt("unknown kid")
        try:
            payload = jws.verify(token, key.verifier, algorithms=[self.algorithm])
            claims = orjson.loads(payload)
        except (JOSEError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise InvalidJwt("bad signature or payload") from exc
        if not isinstance(claims, dict):
            raise InvalidJwt("claims are not an object")
        return claims

    def _check_claims(self, c: dict[str, Any], now: float, leeway: float) -> None:
        for name in ("iss", "sub", "aud", "jti", "client_id", "scope"):
            if not isinstance(c.get(name), str) or not c[name]:
                raise InvalidJwt(f"missing or malformed {name}")
        for name in ("exp", "iat"):
            value = c.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidJwt(f"missing or malformed {name}")
        if c["iss"] != self.issuer:
            raise InvalidJwt("wrong issuer")
        if c["aud"] != self.audience:
            raise InvalidJwt("wrong audience")
        if c["exp"] <= now - leeway:
            raise InvalidJwt("expired")
        if c["iat"] > now + leeway:
            raise InvalidJwt("issued in the future")
        nbf = c.get("nbf")
        if nbf is not None and (not isinstance(nbf, int) or nbf > now + leeway):
            raise InvalidJwt("not yet valid")


# Foreign tokens: ID tokens of identity providers, verified with a public JWK the caller fetched.

FOREIGN_MAX_LENGTH = 16_384
FOREIGN_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}  # the only algorithms a foreign token may use


def foreign_header(token: str) -> dict[str, Any]:
    """The header of a foreign compact JWS, unverified: only to pick its key by ``kid``."""
    return _unverified_header(token, FOREIGN_MAX_LENGTH)


def verify_foreign(
    token: str,
    public_jwk: dict[str, Any],
    *,
    algorithms: tuple[str, ...],
    now: float,
    leeway: int,
) -> dict[str, Any]:
    """The claims of a foreign token signed by ``public_jwk``; InvalidJwt otherwise.

    The header's ``alg`` must be pinned, match the key's type (so HS256 keyed with a public
    key never runs) and its ``kid`` must name this key; ``exp`` and ``iat`` are required and
    checked with ``leeway`` seconds of skew. The caller checks ``iss``, ``aud`` and ``sub``.
    """
    header = foreign_header(token)
    alg = header.get("alg")
    if alg not in algorithms or alg not in FOREIGN_KEY_TYPES:
        raise InvalidJwt("alg is not allowed")
    if FORBIDDEN_HEADERS & header.keys():
        raise InvalidJwt("header names a key source or critical extension")
    if header.get("kid") != public_jwk.get("kid"):
        raise InvalidJwt("kid does not name this key")
    if public_jwk.get("kty") != FOREIGN_KEY_TYPES[alg] or public_jwk.get("alg", alg) != alg:
        raise InvalidJwt("alg does not fit the key")
    try:
        key = jwk.construct(public_jwk, alg)
        claims = orjson.loads(jws.verify(token, key, algorithms=[alg]))
    except (JOSEError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidJwt("bad key, signature or payload") from exc
    if not isinstance(claims, dict):
        raise InvalidJwt("claims are not an object")
    for name in ("exp", "iat"):
        value = claims.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidJwt(f"missing or malformed {name}")
    if claims["exp"] <= now - leeway:
        raise InvalidJwt("expired")
    if claims["iat"] > now + leeway:
        raise InvalidJwt("issued in the future")
    nbf = claims.get("nbf")
    if nbf is not None and (
        not isinstance(nbf, int | float) or isinstance(nbf, bool) or nbf > now + leeway
    ):
        raise InvalidJwt("not yet valid")
    return claims
