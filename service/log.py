"""structlog configuration: JSON events, request context, and redaction of secrets."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import orjson
import structlog

from .settings import LogSettings

SECRET_KEYS = re.compile(r"(secret|password|passwd|token|authorization|cookie|assertion)", re.I)
# Values that look like our tokens, wherever they appear (a JWT, or a refresh token).
TOKEN_VALUES = re.compile(
    r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*|[uc]-[A-Za-z0-9-]{1,64}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"
)
ALLOWED_TOKEN_KEYS = frozenset({"token_type", "issued_token_type"})


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return TOKEN_VALUES.sub("[redacted]", value)
    return value


_SECRET_KEY_MEMO: dict[str, bool] = {}


def _secret_key(key: str) -> bool:
    """Is this event key named like a secret? (memoized: events reuse a small set of keys)"""
    known = _SECRET_KEY_MEMO.get(key)
    if known is None:
        known = key not in ALLOWED_TOKEN_KEYS and SECRET_KEYS.search(key) is not None
        if len(_SECRET_KEY_MEMO) < 4096:
            _SECRET_KEY_MEMO[key] = known
    return known


def redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Drop anything named like a secret, and mask token-shaped values."""
    for key, value in event.items():  # values replaced in place: the keys do not change
        if _secret_key(key):
            event[key] = "[redacted]"
        elif isinstance(value, str) and "." in value:  # both token shapes contain dots
            event[key] = TOKEN_VALUES.sub("[redacted]", value)
    return event


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def processors(settings: LogSettings) -> list[Any]:
    renderer: Any
    if settings.format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # plain traceback text: never local variables
        redact,
        renderer,
    ]


def configure_logging(settings: LogSettings, stream: Any = None) -> None:
    """Configure structlog (and route the standard library's warnings through it) once."""
    level = getattr(logging, settings.level.upper())
    structlog.configure(
        processors=processors(settings),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *processors(settings),
            ],
            foreign_pre_chain=[structlog.stdlib.add_log_level],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").disabled = True  # access logs would record query strings
