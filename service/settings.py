"""Configuration: config/defaults.toml, then config/$TOKENHOUSE_ENV.toml, then env vars.

Env vars are ``TOKENHOUSE_<SECTION>__<KEY>``. With ``TOKENHOUSE_ENV`` unset only the defaults
apply: safe (JSON logs, no demo data), yet not ``production`` and its stricter checks.
``load_settings`` is pure (the environ is passed in), gathers every problem and raises one
``ConfigError`` listing them all.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "TOKENHOUSE_"
MAX_REFRESH_GRACE = 300  # seconds; beyond it reuse detection is all but off
MAX_LEEWAY = 10  # seconds of clock skew on our own tokens: pods share NTP time
# The grant types the token endpoint knows (oauth/grants ALL_GRANTS; a unit test keeps both equal).
GRANT_TYPES = "client_credentials password token_exchange refresh_token authorization_code"


class ConfigError(Exception):
    """The configuration is unusable; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    body_limit: int = 16384
    shutdown_timeout: float = 20.0
    keepalive_timeout: float = 75.0
    drain_delay: float = 0.0
    proxy_hops: int = 0
    request_timeout: float = 2.0
    workers: int = 1


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    prefix: str = "th:"
    cluster: bool = False
    socket_timeout: float = 0.5
    connect_timeout: float = 0.5
    embedded_dir: str = ".tokenhouse"


@dataclass(frozen=True)
class TokenSettings:
    issuer: str = "http://127.0.0.1:8080"
    audience: str = "tokenhouse"
    access_ttl: int = 600
    refresh_idle_ttl: int = 2592000
    refresh_max_ttl: int = 7776000
    refresh_grace: int = 60
    max_sessions: int = 100
    leeway: int = 5


@dataclass(frozen=True)
class KeySettings:
    dir: str = ""
    active_kid: str = ""
    algorithm: str = "ES256"


@dataclass(frozen=True)
class HashingSettings:
    time_cost: int = 2
    memory_cost: int = 19456
    parallelism: int = 1
    max_concurrency: int = 2
    max_queue: int = 32
    max_wait: float = 0.0


@dataclass(frozen=True)
class ThrottleSettings:
    account_failures: int = 10
    source_failures: int = 50
    window: int = 900


@dataclass(frozen=True)
class CacheSettings:
    client_ttl: float = 5.0
    secret_ttl: float = 60.0
    client_failures: int = 20


@dataclass(frozen=True)
class GrantSettings:
    enabled: str = GRANT_TYPES  # the grant types the token endpoint serves, space-separated


@dataclass(frozen=True)
class LogSettings:
    level: str = "info"
    format: str = "json"


@dataclass(frozen=True)
class DemoSettings:
    enabled: bool = False


@dataclass(frozen=True)
class Settings:
    env: str = ""  # TOKENHOUSE_ENV; unset: config/defaults.toml alone (safe, yet not production)
    server: ServerSettings = field(default_factory=ServerSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    hashing: HashingSettings = field(default_factory=HashingSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    grants: GrantSettings = field(default_factory=GrantSettings)
    log: LogSettings = field(default_factory=LogSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)

    @property
    def production(self) -> bool:
        return self.env == "production"


SECTIONS: dict[str, type] = {
    f.name: typing.get_type_hints(Settings)[f.name]
    for f in dataclasses.fields(Settings)
    if f.name != "env"
}


def _cast(raw: Any, kind: type, where: str, problems: list[str]) -> Any:
    """Cast a TOML value or an env string to the field's type, noting a problem on failure."""
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(str(raw).strip()) if not isinstance(raw, int) else raw
        if kind is float:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if not isinstance(raw, str):
            raise ValueError(raw)
        return raw
    except (TypeError, ValueError):
        problems.append(f"{where}: expected {kind.__name__}, got {str(raw)[:40]!r}")
        return None


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return {}


def default_config_dir() -> Path:
    """The repo's config/ directory, or the working directory's."""
    here = Path(__file__).resolve().parent.parent / "config"
    return here if here.is_dir() else Path.cwd() / "config"


def load_settings(environ: Mapping[str, str], config_dir: Path | None = None) -> Settings:
    """Build Settings from files and env vars; raise ConfigError listing every problem."""
    problems: list[str] = []
    if config_dir is None:
        config_dir = Path(environ.get("TOKENHOUSE_CONFIG_DIR") or default_config_dir())
    env = environ.get("TOKENHOUSE_ENV", "")
    merged: dict[str, dict[str, tuple[Any, str]]] = {}
    for name in ("defaults", env) if env else ("defaults",):
        path = config_dir / f"{name}.toml"
        if name == env and name != "defaults" and not path.is_file() and env != "local":
            problems.append(f"TOKENHOUSE_ENV={env!r}: no {path}")
        for section, values in _read_toml(path, problems).items():
            if section not in SECTIONS or not isinstance(values, dict):
                problems.append(f"{path.name}: unknown section [{section}]")
                continue
            for key, value in values.items():
                merged.setdefault(section, {})[key] = (value, f"{path.name} [{section}] {key}")
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].partition("__")
        section, key = section.lower(), key.lower()
        if section not in SECTIONS:
            problems.append(f"{name}: unknown section {section!r}")
            continue
        merged.setdefault(section, {})[key] = (value, name)

    sections: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for key, (raw, where) in merged.get(section, {}).items():
            if key not in hints:
                problems.append(f"{where}: unknown setting {section}.{key}")
                continue
            kwargs[key] = _cast(raw, hints[key], where, problems)
        if not any(v is None for v in kwargs.values()):
            sections[section] = cls(**kwargs)
    if problems:
        raise ConfigError(problems)
    settings = Settings(env=env, **sections)
    problems.extend(validate(settings))
    if problems:
        raise ConfigError(problems)
    return settings


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
    if not 1 <= s.server.port <= 65535:
        p.append(f"server.port must be 1-65535, got {s.server.port}")
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


def replace(settings: Settings, **sections: Mapping[str, Any]) -> Settings:
    """A copy with some section fields changed: replace(s, tokens={"access_ttl": 5})."""
    changes = {
        name: dataclasses.replace(getattr(settings, name), **values)
        for name, values in sections.items()
    }
    return dataclasses.replace(settings, **changes)


__all__ = ["GRANT_TYPES", "ConfigError", "Settings", "load_settings", "replace", "validate"]
