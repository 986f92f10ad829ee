"""A provider's signing keys cached by ``kid``, refetched at most once per interval."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from .errors import IdpUnavailable

log = structlog.get_logger("tokenhouse.idp")

REFETCH_INTERVAL = 5.0  # seconds between fetches, so tokens with made-up kids cannot hammer an IdP
MAX_AGE = 3600.0  # seconds a fetched key set is trusted before the next use refetches it
MAX_KEYS = 100
MIN_RSA_BITS = 2048

Jwks = dict[str, dict[str, Any]]  # kid -> public JWK
Loader = Callable[[], Awaitable[Any]]  # fetches the JWKS document, or raises IdpUnavailable


def _b64_bits(value: Any) -> int:
    """Bits in a base64url value (0 when it is not a string)."""
    return len(value.rstrip("=")) * 6 if isinstance(value, str) else 0


def _usable(key: Any) -> bool:
    """A public RSA (>= 2048 bits) or P-256 signing key with a kid (RFC 7517 §4, RFC 7518 §6)."""
    if not isinstance(key, dict) or not isinstance(key.get("kid"), str) or not key["kid"]:
        return False
    if key.get("use", "sig") != "sig" or "d" in key:
        return False
    if key.get("kty") == "RSA":
        return key.get("alg", "RS256") == "RS256" and _b64_bits(key.get("n")) >= MIN_RSA_BITS - 6
    if key.get("kty") == "EC":
        return (
            key.get("alg", "ES256") == "ES256"
            and key.get("crv") == "P-256"
            and _b64_bits(key.get("x")) >= 256
            and _b64_bits(key.get("y")) >= 256
        )
    return False


def parse_jwks(document: Any) -> Jwks:
    """The usable keys of a JWKS document by kid; IdpUnavailable when it is not a JWKS at all."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise IdpUnavailable("identity provider published a JWKS of the wrong shape")
    keys: Jwks = {}
    for key in document["keys"][:MAX_KEYS]:
        if _usable(key):
            keys.setdefault(key["kid"], key)  # a repeated kid keeps its first key
    return keys


class KeyCache:
    """Keys by kid: a known kid is served from memory (also while the provider is down); an
    unknown kid refetches the key set, but at most once per ``interval`` seconds."""

    def __init__(
        self,
        load: Loader,
        *,
        name: str,
        interval: float = REFETCH_INTERVAL,
        max_age: float = MAX_AGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._name = name
        self._interval = interval
        self._max_age = max_age
        self._monotonic = monotonic
        self._keys: Jwks = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._tried_at: float | None = None  # last attempt, successful or not
        self._failure: str | None = None  # why the last attempt failed
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> dict[str, Any] | None:
        """The key named ``kid``; None when the provider does not publish it.

        Raises IdpUnavailable when the provider cannot be asked and no usable key is cached.
        """
        key = self._keys.get(kid)
        if key is not None and (not self._stale() or self._lock.locked()):
            return key  # a stale key is not held up by a refetch already under way
        async with self._lock:  # one fetch at a time; waiters see its result
            key = self._keys.get(kid)
            if key is not None and not self._stale():
                return key
            if self._may_fetch():
                await self._fetch()
            key = self._keys.get(kid)
            if key is not None:
                return key  # a stale key still verifies while a refetch fails
            if self._failure is not None:
                raise IdpUnavailable(self._failure)
            return None

    def _stale(self) -> bool:
        now = self._monotonic()
        return self._fetched_at is None or now - self._fetched_at >= self._max_age

    def _may_fetch(self) -> bool:
        return self._tried_at is None or self._monotonic() - self._tried_at >= self._interval

    async def _fetch(self) -> None:
        self._tried_at = self._monotonic()
        self._failure = "identity provider keys could not be fetched"  # kept if cancelled
        try:
            keys = parse_jwks(await self._load())
        except IdpUnavailable as exc:
            self._failure = str(exc)
            log.warning(
                "idp.keys_unavailable",
                idp=self._name,
                reason=self._failure,
                cached_keys=len(self._keys),
            )
            return
        self._keys, self._fetched_at, self._failure = keys, self._tried_at, None
        log.info("idp.keys_fetched", idp=self._name, kids=sorted(keys))
