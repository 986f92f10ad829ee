"""structlog configuration: JSON events, request context, and redaction of secrets."""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
import sys
import threading
import time
from typing import Any, TextIO, cast

import orjson
import structlog

from . import context
from .owners import OWNER_PATTERN
from .settings import LogSettings

SECRET_KEYS = re.compile(r"(secret|password|passwd|token|authorization|cookie|assertion)", re.I)
# Values that look like our tokens, wherever they appear (a JWT, or a refresh token).
TOKEN_VALUES = re.compile(
    r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
    rf"|{OWNER_PATTERN}\.[A-Za-z0-9_-]{{11,22}}\.[A-Za-z0-9_-]{{43}}"
)
ALLOWED_TOKEN_KEYS = frozenset({"token_type", "issued_token_type"})


# What redact does with an event key: the decision is memoized (events reuse few keys).
_REDACT, _KEEP, _SCRUB = 0, 1, 2
# Keys whose values the service itself sets from fixed tables or numbers: nothing to scrub.
SAFE_KEYS = frozenset({"event", "level", "timestamp", "latency_ms", "status", "outcome",
                       "grant_type", "client_kind"})  # fmt: skip
_DECISIONS: dict[str, int] = {}


def _decide(key: str) -> int:
    if key in SAFE_KEYS:
        return _KEEP
    if key not in ALLOWED_TOKEN_KEYS and SECRET_KEYS.search(key) is not None:
        return _REDACT
    return _SCRUB


def redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Drop anything named like a secret, and mask token-shaped values anywhere else."""
    for key, value in event.items():  # values replaced in place: the keys do not change
        decision = _DECISIONS.get(key)
        if decision is None:
            decision = _decide(key)
            if len(_DECISIONS) < 4096:
                _DECISIONS[key] = decision
        if decision == _REDACT:
            event[key] = "[redacted]"
        elif decision == _SCRUB and isinstance(value, str) and value.count(".") >= 2:
            # both token shapes hold two dots (a JWT's parts; owner.session.secret)
            event[key] = TOKEN_VALUES.sub("[redacted]", value)
    return event


class _Stamp:
    """ISO 8601 UTC timestamps with microseconds; the date part is formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._prefix = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        event["timestamp"] = f"{self._prefix}.{int((now - second) * 1e6):06d}Z"
        return event


class _Prepare:
    """The JSON events' processors in one call (one event per grant: each call counts): the
    request context, the level, a traceback as text, redaction, the timestamp."""

    def __init__(self) -> None:
        self._stamp = _Stamp()

    def __call__(self, logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        context.merge_into_event(logger, method, event)
        # as structlog's add_log_level names them
        event["level"] = {"warn": "warning", "exception": "error"}.get(method, method)
        if "exc_info" in event:
            event = dict(structlog.processors.format_exc_info(logger, method, event))
        return self._stamp(logger, method, redact(logger, method, event))


class LineBatcher:
    """A file-like front of a stream: the lines logged in one event-loop turn go out in one
    write and flush at the end of the turn (one system call for many requests' events, each
    still one line); outside a running loop, or at exit, at once."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._parts: list[str] = []
        self._lock = threading.Lock()  # a line may come from another thread
        self._scheduled: asyncio.AbstractEventLoop | None = None
        atexit.register(self.drain)

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        if self._scheduled is not loop or loop.is_closed():
            self._scheduled = loop
            loop.call_soon(self.drain)

    def drain(self) -> None:
        with self._lock:
            self._scheduled = None
            if not self._parts:
                return
            data = "".join(self._parts)
            self._parts.clear()
        self._stream.write(data)
        self._stream.flush()


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def processors(settings: LogSettings) -> list[Any]:
    renderer: Any
    if settings.format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        return [_Prepare(), structlog.processors.JSONRenderer(serializer=_dumps)]
    return [
        context.merge_into_event,
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,  # plain traceback text: never local variables
        redact,
        _Stamp(),
        renderer,
    ]


class _Direct:
    """What ``log_event`` needs to write a JSON event itself: the processors configure_logging
    installed, the stream and the level."""

    __slots__ = ("chain", "prepare", "render", "stream", "level")

    def __init__(self, chain: list[Any], stream: Any, level: int) -> None:
        self.chain = chain
        self.prepare, self.render = chain
        self.stream = stream
        self.level = level

    def in_force(self) -> bool:
        """structlog still runs exactly these processors (a test capturing events swaps the
        list's contents, or configures another list)."""
        chain = structlog.get_config()["processors"]
        return (
            chain is self.chain
            and len(chain) == 2
            and chain[0] is self.prepare
            and chain[1] is self.render
        )


_direct: _Direct | None = None
_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def log_event(logger: Any, method: str, event: str, fields: dict[str, Any]) -> None:
    """``logger.<method>(event, **fields)``, the same line, written directly when it can be.

    The request event is the one line every request logs. With the JSON configuration of
    ``configure_logging`` in force it goes through the same processors (``_Prepare``, then
    ``_dumps``) to the same stream, skipping structlog's per-call wrapping (in a benchmark,
    about 2 % of a light grant's CPU). Anything else (the console format, a test capturing
    events) goes through ``logger``. ``fields`` is used up.
    """
    direct = _direct
    if direct is not None and direct.in_force():
        if _LEVELS[method] < direct.level:
            return
        fields["event"] = event  # structlog's order: the keyword fields, then the event
        direct.stream.write(_dumps(direct.prepare(None, method, fields)) + "\n")
        direct.stream.flush()
        return
    getattr(logger, method)(event, **fields)


def configure_logging(settings: LogSettings, stream: Any = None) -> None:
    """Configure structlog (and route the standard library's warnings through it) once."""
    global _direct
    level = getattr(logging, settings.level.upper())
    # the process's own stdout is written once per loop turn; a given stream at once
    out = stream or cast(TextIO, LineBatcher(sys.stdout))
    chain = processors(settings)
    structlog.configure(
        processors=chain,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
    _direct = _Direct(chain, out, level) if settings.format != "console" else None
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
