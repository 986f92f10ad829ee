"""KeyCache: keys by kid, a rate-limited refetch on an unknown kid, stale keys kept in outages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.idp.errors import IdpUnavailable
from service.idp.keys import MAX_AGE, REFETCH_INTERVAL, KeyCache, parse_jwks

from ...idp_tokens import new_key

RS = new_key("RS256", kid="rs-1")
ES = new_key("ES256", kid="es-1")


class Ticker:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Provider:
    """A JWKS source: counts loads, can fail, can be changed."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.loads = 0
        self.down = False
        self.gate: asyncio.Event | None = None  # when set, a load waits for it

    async def load(self) -> Any:
        self.loads += 1
        await asyncio.sleep(0)
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise IdpUnavailable("identity provider could not be reached (ClientConnectorError)")
        return {"keys": list(self.keys)}


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


def cache_of(provider: Provider, ticker: Ticker) -> KeyCache:
    return KeyCache(provider.load, name="local", monotonic=ticker)


async def test_known_kid_is_served_from_memory(ticker):
    """After one load, known kids are answered without asking the provider again."""
    provider = Provider(RS.jwk, ES.jwk)
    cache = cache_of(provider, ticker)

    assert await cache.get("rs-1") == RS.jwk
    assert await cache.get("es-1") == ES.jwk
    assert await cache.get("rs-1") == RS.jwk
    assert provider.loads == 1


async def test_unknown_kid_refetches_then_answers_none(ticker):
    """An unknown kid triggers one refetch; still unknown, it is None (an invalid token)."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    ticker.advance(REFETCH_INTERVAL)

    assert await cache.get("nope") is None
    assert provider.loads == 2


async def test_unknown_kids_refetch_at_most_once_per_interval(ticker):
    """Many unknown kids, sequential and concurrent, cause at most one load per interval."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    ticker.advance(REFETCH_INTERVAL)

    results = await asyncio.gather(*(cache.get(f"garbage-{i}") for i in range(50)))
    for i in range(50):
        assert await cache.get(f"more-{i}") is None
    assert results == [None] * 50
    assert provider.loads == 2

    ticker.advance(REFETCH_INTERVAL - 0.1)
    await cache.get("again")
    assert provider.loads == 2
    ticker.advance(0.1)
    await cache.get("again")
    assert provider.loads == 3


async def test_new_key_is_found_by_the_refetch(ticker):
    """A key the provider starts publishing is found by the unknown-kid refetch."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    provider.keys = [ES.jwk]
    ticker.advance(REFETCH_INTERVAL)

    assert await cache.get("es-1") == ES.jwk
    assert provider.loads == 2


async def test_provider_down_with_no_key_is_unavailable(ticker):
    """No key was ever loaded and the provider fails: IdpUnavailable, also within the interval."""
    provider = Provider(RS.jwk)
    provider.down = True
    cache = cache_of(provider, ticker)

    for _ in range(3):
        with pytest.raises(IdpUnavailable) as caught:
            await cache.get("rs-1")
        assert str(caught.value) == (
            "identity provider could not be reached (ClientConnectorError)"
        )
    assert provider.loads == 1


async def test_recovers_after_the_interval(ticker):
    """Once the provider is back, the next attempt after the interval loads the keys."""
    provider = Provider(RS.jwk)
    provider.down = True
    cache = cache_of(provider, ticker)
    with pytest.raises(IdpUnavailable):
        await cache.get("rs-1")
    provider.down = False
    ticker.advance(REFETCH_INTERVAL)

    assert await cache.get("rs-1") == RS.jwk


async def test_cached_key_survives_an_outage(ticker):
    """Known keys verify while the provider is down, even past their max age."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    provider.down = True
    ticker.advance(MAX_AGE + 1)

    assert await cache.get("rs-1") == RS.jwk
    assert await cache.get("rs-1") == RS.jwk
    assert provider.loads == 2  # one refetch attempt for the stale set, then rate-limited


async def test_unknown_kid_during_an_outage_is_unavailable(ticker):
    """An unknown kid while the provider is down is IdpUnavailable, not an invalid token."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    provider.down = True
    ticker.advance(REFETCH_INTERVAL)

    with pytest.raises(IdpUnavailable):
        await cache.get("new-kid")


async def test_stale_key_set_is_replaced_after_max_age(ticker):
    """After max age the key set is refetched: a retired key is no longer served."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    provider.keys = [ES.jwk]
    ticker.advance(MAX_AGE)

    assert await cache.get("rs-1") is None
    assert await cache.get("es-1") == ES.jwk
    assert provider.loads == 2


def test_parse_jwks_keeps_only_usable_signing_keys():
    """RSA >= 2048 bits and P-256 public signing keys with a kid are kept; the rest dropped."""
    small_rsa = {**RS.jwk, "kid": "small", "n": RS.jwk["n"][:100]}
    doc = {
        "keys": [
            RS.jwk,
            ES.jwk,
            small_rsa,
            {**RS.jwk, "kid": "enc", "use": "enc"},
            {**RS.jwk, "kid": "private", "d": "AAAA"},
            {**RS.jwk, "kid": "hs", "alg": "HS256"},
            {**ES.jwk, "kid": "p384", "crv": "P-384"},
            {"kty": "oct", "kid": "oct", "k": "c2VjcmV0"},
            {**RS.jwk, "kid": ""},
            {**{k: v for k, v in RS.jwk.items() if k != "kid"}},
            {**RS.jwk, "kid": "rs-1", "n": "other"},
            "not a key",
            7,
        ]
    }

    assert parse_jwks(doc) == {"rs-1": RS.jwk, "es-1": ES.jwk}


@pytest.mark.parametrize("doc", [[], "keys", None, {}, {"keys": "nope"}, {"keys": {}}])
def test_parse_jwks_refuses_the_wrong_shape(doc):
    """A document that is not a JWKS at all is IdpUnavailable."""
    with pytest.raises(IdpUnavailable) as caught:
        parse_jwks(doc)

    assert str(caught.value) == "identity provider published a JWKS of the wrong shape"


async def test_stale_key_is_served_while_a_refetch_is_under_way(ticker):
    """A known but stale key answers at once while another request is refetching."""
    provider = Provider(RS.jwk)
    cache = cache_of(provider, ticker)
    await cache.get("rs-1")
    ticker.advance(MAX_AGE)
    provider.gate = gate = asyncio.Event()
    refetch = asyncio.create_task(cache.get("rs-1"))
    await asyncio.sleep(0)

    assert await asyncio.wait_for(cache.get("rs-1"), 0.5) == RS.jwk
    gate.set()
    assert await refetch == RS.jwk


async def test_interrupted_first_fetch_is_unavailable_not_invalid(ticker):
    """A first fetch that was cancelled leaves no key: the next token is unavailable, not invalid."""
    cache = KeyCache(asyncio.Event().wait, name="local", monotonic=ticker)
    task = asyncio.create_task(cache.get("rs-1"))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    with pytest.raises(IdpUnavailable, match="keys could not be fetched"):
        await cache.get("rs-1")
