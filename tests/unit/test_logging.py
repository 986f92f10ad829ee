"""Logging: one event per token request with its context, and no secret in any event."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from service import context
from service.log import redact
from service.oauth.tokens import RefreshToken

from ..factories import basic_auth, make_user
from ..factories import make_client as new_app
from .support import REVOKE, TOKEN, login, post, refresh, token

TOKEN_EVENTS = {"token.issued", "token.failed"}


@pytest.fixture
def logs():
    """Captured events, with the request context merged in as in production."""
    with capture_logs(processors=[context.merge_into_event]) as entries:
        yield entries


def token_events(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["event"] in TOKEN_EVENTS]


async def test_one_issued_event_per_successful_token_request(client, services, store, logs):
    """A successful login logs exactly one token.issued with the request context."""
    app = await new_app(store)
    user = await make_user(store)

    resp = await client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.email,
            "password": "correct horse",
        },
        headers={"X-Request-ID": "req-1"},
    )

    assert resp.status == 200
    [event] = token_events(logs)
    assert event["event"] == "token.issued"
    assert event["request_id"] == "req-1"
    assert event["grant_type"] == "password"
    assert event["client_id"] == app.client_id
    assert event["user_id"] == user.user_id
    assert event["outcome"] == "ok"
    assert event["status"] == 200
    assert isinstance(event["latency_ms"], float) and event["latency_ms"] >= 0


async def test_one_failed_event_per_failed_token_request(client, services, store, logs):
    """A failed login logs exactly one token.failed whose outcome is the error code."""
    app = await new_app(store)

    resp = await client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "username": "x@y.z",
            "password": "bad",
        },
    )

    assert resp.status == 401
    [event] = token_events(logs)
    assert event["event"] == "token.failed"
    assert event["outcome"] == "invalid_grant"
    assert event["grant_type"] == "password" and event["client_id"] == app.client_id
    assert event["status"] == 401
    assert len(event["request_id"]) == 32
    assert "latency_ms" in event


async def test_each_request_logs_its_own_event(client, services, store, logs):
    """N token requests give N token events with N distinct request ids."""
    app = await new_app(store)
    form = {"grant_type": "client_credentials", "client_id": app.client_id}

    for _ in range(3):
        await token(client, form)

    events = token_events(logs)
    assert len(events) == 3
    assert len({e["request_id"] for e in events}) == 3
    assert all(e["grant_type"] == "client_credentials" for e in events)


async def test_request_context_does_not_leak_between_requests(client, services, store, logs):
    """A request that fails before the grant is known carries no previous request's context."""
    app = await new_app(store)
    await token(client, {"grant_type": "client_credentials", "client_id": app.client_id})

    await token(client, {"grant_type": "nope", "client_id": app.client_id})

    last = token_events(logs)[-1]
    assert last["outcome"] == "unsupported_grant_type"
    assert "grant_type" not in last and "client_id" not in last


def all_values(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (str(k), *all_values(v))]
    if isinstance(obj, list | tuple | set):
        return [s for v in obj for s in all_values(v)]
    return [str(obj)]


async def test_no_secret_or_token_value_in_any_event(client, services, store, logs):
    """Passwords, client secrets, refresh and access tokens and Basic values never reach a log."""
    password, secret = "pw-Very-Secret-123", "client-Secret-456"
    app = await new_app(store, secret=secret)
    user = await make_user(store, password=password)
    basic = basic_auth(app.client_id, secret)

    session = await login(client, app, user, password=password, client_secret=secret)
    rotated = (await refresh(client, app, session["refresh_token"]))[1]
    exchanged = (
        await token(
            client,
            {"grant_type": "token_exchange", "subject_token": rotated["access_token"]},
            {"Authorization": basic},
        )
    )[1]
    await token(
        client,
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.email,
            "password": password + "x",
        },
    )
    await token(
        client,
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": secret + "x",
        },
    )
    await refresh(client, app, RefreshToken.new(session["refresh_token"].split(".")[0]).value)
    await post(
        client,
        REVOKE,
        {"token": "garbage"},
        {"Authorization": "Bearer " + session["access_token"] + "x"},
    )
    await post(
        client,
        REVOKE,
        {"token": session["refresh_token"]},
        {"Authorization": "Bearer " + exchanged["access_token"]},
    )

    secrets = [
        password,
        password + "x",
        secret,
        secret + "x",
        basic.split()[1],
        session["refresh_token"],
        session["access_token"],
        rotated["refresh_token"],
        rotated["access_token"],
        exchanged["access_token"],
    ]
    values = all_values(logs)
    assert len(token_events(logs)) == 6
    for value in values:
        for s in secrets:
            assert s not in value
            assert s.split(".")[-1] not in value  # not even a token's signature or secret part


def test_redact_drops_secret_named_keys():
    """Keys named like secrets are replaced, token_type and issued_token_type are kept."""
    event = {
        "event": "x",
        "password": "p",
        "client_secret": "s",
        "refresh_token": "r",
        "access_token": "a",
        "subject_token": "t",
        "authorization": "Basic xyz",
        "cookie": "c",
        "token_type": "bearer",
        "issued_token_type": "urn:x",
        "client_id": "app",
    }

    out = redact(None, "info", dict(event))

    for key in (
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "subject_token",
        "authorization",
        "cookie",
    ):
        assert out[key] == "[redacted]"
    assert out["token_type"] == "bearer" and out["issued_token_type"] == "urn:x"
    assert out["client_id"] == "app" and out["event"] == "x"


def test_redact_masks_token_shaped_values_anywhere_in_a_string(signing_key):
    """A JWT or a refresh token inside any string value is masked."""
    refresh_value = RefreshToken.new("u-1234").value
    jwt_value = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

    out = redact(None, "info", {"event": "e", "reason": f"bad {jwt_value} and {refresh_value}!"})

    assert out["reason"] == "bad [redacted] and [redacted]!"


def test_redact_leaves_ordinary_values():
    """Non-secret values pass through unchanged."""
    event = {"event": "token.issued", "outcome": "ok", "latency_ms": 1.5, "status": 200}

    assert redact(None, "info", dict(event)) == event
