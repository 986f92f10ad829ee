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

from .validation import GRANT_TYPES, validate

ENV_PREFIX = "TOKENHOUSE_"
ENV_ONLY = frozenset({"secrets"})  # sections that config/ files may not set


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
class AdminSettings:
    """The admin listener: the JSON admin API and /metrics, never routed by the gateway."""

    host: str = "127.0.0.1"
    port: int = 8081


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
    busy_wait: float = 10.0


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
class SecretsSettings:
    """The server secret (base64, >= 32 random bytes) that purpose-specific keys derive from;
    only from the environment or a file (a Kubernetes Secret mount), never from config/."""

    server_key: str = field(default="", repr=False)
    server_key_file: str = ""


@dataclass(frozen=True)
class Settings:
    env: str = ""  # TOKENHOUSE_ENV; unset: config/defaults.toml alone (safe, yet not production)
    server: ServerSettings = field(default_factory=ServerSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    hashing: HashingSettings = field(default_factory=HashingSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    grants: GrantSettings = field(default_factory=GrantSettings)
    log: LogSettings = field(default_factory=LogSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)

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
            if section in ENV_ONLY:
                problems.append(f"{path.name}: [{section}] belongs in the environment or a file")
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


def replace(settings: Settings, **sections: Mapping[str, Any]) -> Settings:
    """A copy with some section fields changed: replace(s, tokens={"access_ttl": 5})."""
    changes = {
        name: dataclasses.replace(getattr(settings, name), **values)
        for name, values in sections.items()
    }
    return dataclasses.replace(settings, **changes)


__all__ = ["GRANT_TYPES", "ConfigError", "Settings", "load_settings", "replace", "validate"]
