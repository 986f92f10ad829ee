"""The request event written directly (``log_event``) is the line structlog would write."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import structlog
from structlog.testing import capture_logs

from service import context
from service.api.endpoints import ENDPOINTS, TOKEN
from service.api.middlewares import CLIENT_CLOSED, report
from service.errors import ErrorCode, OAuthError
from service.log import configure_logging, log_event
from service.settings import LogSettings

log = structlog.get_logger("tokenhouse.test")


@contextmanager
def logging_to_a_string(level: str = "info", fmt: str = "json") -> Iterator[io.StringIO]:
    """configure_logging onto a string, structlog's configuration restored afterwards."""
    saved = structlog.get_config()
    stream = io.StringIO()
    try:
        configure_logging(LogSettings(level=level, format=fmt), stream=stream)
        structlog.configure(cache_logger_on_first_use=False)
        yield stream
    finally:
        structlog.configure(**saved)
        context.end()


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    with logging_to_a_string() as stream:
        yield stream


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def without_timestamp(line: str) -> list[tuple[str, object]]:
    """The event's keys in order with their values, the timestamp's value left out."""
    return [(k, None if k == "timestamp" else v) for k, v in json.loads(line).items()]


def in_a_request(grant_type: str = "password", client_id: str = "c-app") -> None:
    context.begin("0123456789abcdef0123456789abcdef")
    context.annotate(grant_type=grant_type, client_id=client_id, client_kind="marketplace")


@pytest.mark.parametrize(
    ("method", "fields"),
    [
        ("info", {"outcome": "ok", "status": 200, "latency_ms": 1.234}),
        ("warning", {"outcome": "server_error", "status": 500, "latency_ms": 0.5, "detail": "x"}),
    ],
)
def test_the_same_line_as_structlog_writes(configured, method, fields):
    in_a_request()
    log_event(log, method, "token.issued", dict(fields))
    getattr(log, method)("token.issued", **fields)

    direct, through_structlog = lines(configured)
    assert without_timestamp(direct) == without_timestamp(through_structlog)
    assert json.loads(direct)["level"] == method


def test_values_shaped_like_tokens_are_redacted_on_the_direct_path(configured, signing_key):
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    in_a_request(client_id=jwt)
    log_event(log, "info", "token.failed", {"outcome": "invalid_client", "password": "hunter2"})

    [line] = lines(configured)
    assert "eyJ" not in line and "hunter2" not in line
    event = json.loads(line)
    assert event["client_id"] == "[redacted]" and event["password"] == "[redacted]"


def test_the_configured_level_filters_the_direct_path():
    with logging_to_a_string(level="warning") as stream:
        log_event(log, "info", "token.issued", {"outcome": "ok"})
        log_event(log, "warning", "token.failed", {"outcome": "server_error"})
    assert [json.loads(line)["event"] for line in lines(stream)] == ["token.failed"]


def test_a_capture_of_events_still_sees_the_request_event(configured):
    """A test (or anything) that swaps structlog's processors gets the event through them."""
    in_a_request()
    with capture_logs() as events:
        report(ENDPOINTS[TOKEN], context.begin("r1"), None, 200, 0.001, None)
    assert events == [
        {"event": "token.issued", "outcome": "ok", "status": 200, "latency_ms": 1.0,
         "log_level": "info"}
    ]  # fmt: skip
    assert lines(configured) == []


def test_the_console_format_goes_through_structlog():
    with logging_to_a_string(fmt="console") as stream:
        log_event(log, "info", "token.issued", {"outcome": "ok"})
    [line] = lines(stream)
    assert "token.issued" in line and not line.startswith("{")


def test_report_writes_one_line_per_outcome(configured):
    in_a_request()
    endpoint = ENDPOINTS[TOKEN]
    error = OAuthError(ErrorCode.INVALID_GRANT, detail="wrong password")
    report(endpoint, context.begin("r1"), None, 200, 0.0012345, None)
    report(endpoint, context.begin("r2"), error, 400, 0.002, None)
    report(endpoint, context.begin("r3"), None, CLIENT_CLOSED, 0.003, None)

    events = [json.loads(line) for line in lines(configured)]
    assert [(e["event"], e["outcome"], e["status"], e["request_id"]) for e in events] == [
        ("token.issued", "ok", 200, "r1"),
        ("token.failed", "invalid_grant", 400, "r2"),
        ("token.failed", "cancelled", CLIENT_CLOSED, "r3"),
    ]
    assert events[0]["latency_ms"] == 1.234 and events[1]["detail"] == "wrong password"
    assert "detail" not in events[0] and all(e["level"] == "info" for e in events)
