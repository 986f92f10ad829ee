"""The client directory: clients as the token endpoint sees them, cached briefly, secrets checked.

Verifying argon2 on every integration request would be a denial-of-service surface, so a
successful verification is remembered for ``secret_ttl`` seconds under a digest of
(client id, stored hash, secret): never the secret itself, and a rotated secret (a new
stored hash) misses the cache. Failed verifications are limited per client id and per source
address in this process; past the limit, while argon2 is saturated, the answer is 429 without
running argon2.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from ..crypto.hashing import SecretHasher
from ..errors import StoreUnavailable
from ..models import Client
from ..settings import CacheSettings
from ..store.protocols import ClientStore

MAX_ENTRIES = 10_000
FAILURE_WINDOW = 60.0


class _Expiring:
    """A bounded mapping whose entries expire (oldest dropped when full)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self.data: OrderedDict[object, tuple[float, object]] = OrderedDict()

    def get(self, key: object, *, stale: bool = False) -> object | None:
        item = self.data.get(key)
        if item is None:
            return None
        if stale or item[0] > self.clock():
            return item[1]
        return None

    def put(self, key: object, value: object) -> None:
        self.data[key] = (self.clock() + self.ttl, value)
        self.data.move_to_end(key)
        while len(self.data) > MAX_ENTRIES:
            self.data.popitem(last=False)


class FailureLimiter:
    """At most ``limit`` failures per key in a sliding minute, in this process."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self.hits: OrderedDict[str, list[float]] = OrderedDict()

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may fail again; 0 when it may now."""
        now = self.clock()
        hits = [t for t in self.hits.get(key, ()) if t > now - FAILURE_WINDOW]
        if len(hits) < self.limit:
            return 0
        return max(1, int(hits[0] + FAILURE_WINDOW - now) + 1)

    def record(self, key: str) -> None:
        now = self.clock()
        hits = [t for t in self.hits.pop(key, []) if t > now - FAILURE_WINDOW]
        hits.append(now)
        self.hits[key] = hits[-self.limit :]
        while len(self.hits) > MAX_ENTRIES:
            self.hits.popitem(last=False)


class ClientDirectory:
    """Look up clients (cached briefly) and check their secrets."""

    def __init__(
        self,
        store: ClientStore,
        hasher: SecretHasher,
        settings: CacheSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.hasher = hasher
        self._clients = _Expiring(settings.client_ttl, clock)
        self._verified = _Expiring(settings.secret_ttl, clock)
        self.failures = FailureLimiter(settings.client_failures, clock)

    async def get(self, client_id: str, *, stale_ok: bool = False) -> Client | None:
        """The client, from the cache while fresh; with ``stale_ok``, a stale entry on outage."""
        cached = self._clients.get(client_id)
        if cached is not None:
            return cached if isinstance(cached, Client) else None
        try:
            client = await self.store.get(client_id)
        except StoreUnavailable:
            stale = self._clients.get(client_id, stale=True) if stale_ok else None
            if isinstance(stale, Client):
                return stale
            raise
        self._clients.put(client_id, client if client is not None else False)
        return client

    @staticmethod
    def _digest(client_id: str, secret_hash: str, secret: str) -> bytes:
        material = "\0".join((client_id, secret_hash, secret)).encode("utf-8", "surrogatepass")
        return hashlib.sha256(material).digest()

    def cached_secret_ok(self, client: Client, secret: str) -> bool:
        return (
            self._verified.get(self._digest(client.client_id, client.secret_hash, secret)) is True
        )

    async def verify_secret(self, client: Client | None, secret: str) -> bool:
        """Check a presented secret; an unknown client or no stored secret checks a dummy."""
        if client is not None and client.has_secret and self.cached_secret_ok(client, secret):
            return True
        encoded = client.secret_hash if client is not None and client.has_secret else None
        ok = await self.hasher.verify(encoded, secret)
        if ok and client is not None:
            self._verified.put(self._digest(client.client_id, client.secret_hash, secret), True)
        return ok
