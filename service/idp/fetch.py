"""Bounded outbound JSON GETs to identity providers through aiohttp's client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from .errors import IdpUnavailable

FETCH_BUDGET = 2.0  # seconds for every call one verification makes, together
CONNECT_TIMEOUT = 1.0
MAX_BODY = 256 * 1024  # bytes; a JWKS of dozens of RSA keys fits in 64 KiB
CHUNK = 16 * 1024


def new_session() -> aiohttp.ClientSession:
    """A client session for identity providers: no cookies, no proxy from the environment,
    bounded connections and timeouts."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64, limit_per_host=16, ttl_dns_cache=60),
        timeout=aiohttp.ClientTimeout(total=FETCH_BUDGET, sock_connect=CONNECT_TIMEOUT),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        raise_for_status=False,
    )


def check_url(url: str, *, production: bool) -> None:
    """Only absolute http(s) URLs, https in production; IdpUnavailable otherwise."""
    parts = urlsplit(url)
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise IdpUnavailable(f"refused a {parts.scheme or 'relative'} URL for an identity provider")


async def get_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    production: bool,
    within: float,
    params: dict[str, str] | None = None,
    limit: int = MAX_BODY,
    accept_statuses: frozenset[int] = frozenset({200}),
) -> tuple[int, Any]:
    """``(status, parsed JSON)`` of a GET, within ``within`` seconds and ``limit`` bytes.

    Redirects are not followed (calls go only where configured). Any failure raises
    IdpUnavailable with a fixed reason: never the URL, whose query may carry a token, and
    never chained to the client's exception, whose text names the URL.
    """
    check_url(url, production=production)
    reason: str | None = None
    status, body = 0, bytearray()
    try:
        async with session.get(
            url,
            params=params,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=within, sock_connect=min(within, CONNECT_TIMEOUT)),
            headers={"Accept": "application/json"},
        ) as resp:
            if resp.status not in accept_statuses:
                reason = f"answered HTTP {resp.status}"
            elif (resp.content_length or 0) > limit:
                reason = "answered a body over the size limit"
            else:
                async for chunk in resp.content.iter_chunked(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        reason = "answered a body over the size limit"
                        break
                else:
                    status = resp.status
    except TimeoutError:
        reason = "did not answer in time"
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        reason = f"could not be reached ({type(exc).__name__})"
    if reason is not None:
        raise IdpUnavailable(f"identity provider {reason}")
    try:
        return status, orjson.loads(body)
    except orjson.JSONDecodeError:
        raise IdpUnavailable("identity provider answered a body that is not JSON") from None
