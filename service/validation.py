"""The semantic checks of a loaded configuration: the dangerous or impossible combinations."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .settings import SecretsSettings, Settings

MAX_REFRESH_GRACE = 300  # seconds; beyond it reuse detection is all but off
MAX_LEEWAY = 10  # seconds of clock skew on our own tokens: pods share NTP time
MIN_SERVER_KEY = 32  # bytes of the server secret (base64 in the setting)
# The grant types the token endpoint knows (oauth/grants ALL_GRANTS; a unit test keeps both equal).
GRANT_TYPES = "client_credentials password token_exchange refresh_token authorization_code"


def validate(s: Settings) -> list[str]:
    """Semantic checks: the dangerous or impossible combinations, each one line."""
    p: list[str] = []
    issuer = urlsplit(s.tokens.issuer)
    if (
        issuer.scheme not in ("http", "https")
        or not issuer.netloc
        or issuer.query
        or issuer.fragment
    ):
        p.append(f"tokens.issuer must be an absolute http(s) URL, got {s.tokens.issuer!r}")
    elif s.production and issuer.scheme != "https":
        p.append("tokens.issuer must use https in production")
    if not s.tokens.audience:
        p.append("tokens.audience must not be empty")
    for name in ("access_ttl", "refresh_idle_ttl", "refresh_max_ttl"):
        if getattr(s.tokens, name) <= 0:
            p.append(f"tokens.{name} must be positive")
    if s.tokens.max_sessions < 1:
        p.append("tokens.max_sessions must be >= 1")
    if not 0 <= s.tokens.refresh_grace <= MAX_REFRESH_GRACE:
        # A long window lets a stolen refresh token be used without tripping reuse detection.
        p.append(
            f"tokens.refresh_grace must be between 0 (strict single use) and "
            f"{MAX_REFRESH_GRACE} seconds, got {s.tokens.refresh_grace}"
        )
    if not 0 <= s.tokens.leeway <= MAX_LEEWAY:
        p.append(
            f"tokens.leeway must be between 0 and {MAX_LEEWAY} seconds (our own clocks), "
            f"got {s.tokens.leeway}"
        )
    if s.tokens.refresh_idle_ttl > s.tokens.refresh_max_ttl:
        p.append("tokens.refresh_idle_ttl must not exceed tokens.refresh_max_ttl")
    if s.keys.algorithm not in ("ES256", "RS256"):
        p.append(f"keys.algorithm must be ES256 or RS256 (asymmetric), got {s.keys.algorithm!r}")
    if s.production and not s.keys.dir:
        p.append("keys.dir is required in production (TOKENHOUSE_KEYS__DIR): no signing key")
    if s.production and not s.redis.url:
        p.append("redis.url is required in production (TOKENHOUSE_REDIS__URL)")
    for name in ("socket_timeout", "connect_timeout"):
        value = getattr(s.redis, name)
        if not 0 < value <= 5:
            p.append(f"redis.{name} must be between 0 and 5 seconds, got {value}")
    for name, port in (("server.port", s.server.port), ("admin.port", s.admin.port)):
        if not 1 <= port <= 65535:
            p.append(f"{name} must be 1-65535, got {port}")
    if s.admin.port == s.server.port:
        p.append("admin.port must differ from server.port: the admin listener is a port of its own")
    p.extend(server_key_problems(s.secrets))
    if not 1024 <= s.server.body_limit <= 65536:
        p.append("server.body_limit must be between 1024 and 65536 bytes")
    if s.server.proxy_hops < 0:
        p.append("server.proxy_hops must be >= 0")
    if s.server.workers < 1:
        p.append("server.workers must be >= 1")
    if s.server.shutdown_timeout <= 0 or s.server.drain_delay < 0:
        p.append("server.shutdown_timeout must be positive and server.drain_delay >= 0")
    if s.server.request_timeout <= 0:
        p.append("server.request_timeout must be positive")
    if s.hashing.max_wait < 0:
        p.append("hashing.max_wait must be >= 0 (0 = off)")
    if s.throttle.busy_wait < 0:
        p.append("throttle.busy_wait must be >= 0 (0 = refuse at once)")
    if s.hashing.max_concurrency < 1 or s.hashing.max_queue < 0:
        p.append("hashing.max_concurrency must be >= 1 and hashing.max_queue >= 0")
    if s.hashing.memory_cost < 8 * s.hashing.parallelism or s.hashing.time_cost < 1:
        p.append("hashing: memory_cost must be >= 8 x parallelism KiB and time_cost >= 1")
    if s.production and (s.hashing.memory_cost < 19456 or s.hashing.time_cost < 2):
        p.append("hashing below OWASP's minimum (m=19456 KiB, t=2) in production")
    if s.log.format not in ("json", "console"):
        p.append("log.format must be json or console")
    if s.log.level.lower() not in ("debug", "info", "warning", "error"):
        p.append("log.level must be debug, info, warning or error")
    if not s.redis.prefix or any(c in s.redis.prefix for c in "{} "):
        p.append("redis.prefix must be non-empty without braces or spaces")
    if unknown := sorted(set(s.grants.enabled.split()) - set(GRANT_TYPES.split())):
        p.append(f"grants.enabled: unknown grant types {unknown}; known: {GRANT_TYPES}")
    if s.production and s.demo.enabled:
        p.append("demo.enabled must be false in production")
    return p


def decode_server_key(text: str) -> bytes | None:
    """The server secret from its base64 (standard or URL-safe, padding optional); None when
    it is not base64 or shorter than MIN_SERVER_KEY bytes."""
    cleaned = "".join(text.split())
    cleaned = cleaned.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) >= MIN_SERVER_KEY else None


def server_key_problems(secrets: SecretsSettings) -> list[str]:
    """The server secret is given once at most, and (when given inline) is usable; the
    messages never quote it."""
    if secrets.server_key and secrets.server_key_file:
        return ["secrets.server_key and secrets.server_key_file are both set: give one"]
    if secrets.server_key and decode_server_key(secrets.server_key) is None:
        return [
            f"secrets.server_key must be base64 of at least {MIN_SERVER_KEY} random bytes "
            "(e.g. `openssl rand -base64 32`)"
        ]
    return []
