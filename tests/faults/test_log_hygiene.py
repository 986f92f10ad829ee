"""The JSON log of the live process: no secret in any form, one event per grant request, no
context bleeding between concurrent requests, no forged lines; and the exception path."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import pytest
import structlog
from aiohttp import web

from service.api import middlewares
from service.app import create_app
from service.log import configure_logging
from service.settings import LogSettings
from service.store.redis import RedisBackend

from ..conftest import make_settings
from ..factories import basic_auth, make_client, make_user
from ..redis_proc import RedisProcess
from ..service_proc import ServiceProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

TOKEN_EVENTS = {"token.issued", "token.failed"}
FORGED = '\n{"event":"forged","level":"critical"}'


class Recorder:
    """Sends requests with a fresh X-Request-ID each and remembers every secret it saw."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.secrets: set[str] = set()
        self.token_requests: list[str] = []

    def secret(self, value: str) -> str:
        self.secrets.add(value)
        return value

    async def send(
        self,
        method: str,
        path: str,
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        rid = uuid.uuid4().hex
        if path.startswith("/v1/auth/token"):
            self.token_requests.append(rid)
        for name, value in (headers or {}).items():
            if name.lower() == "authorization":
                self.secret(value)
                self.secret(value.partition(" ")[2])
        async with self.http.request(
            method, path, data=data, headers={"X-Request-ID": rid, **(headers or {})}
        ) as resp:
            body = json.loads(await resp.read())
            assert resp.headers["X-Request-ID"] == rid
        if isinstance(body, dict):
            for name in ("access_token", "refresh_token"):
                if name in body:
                    self.secret(body[name])
        return resp.status, body

    async def token(self, data: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        return await self.send("POST", "/v1/auth/token", data=data, headers=headers)

    def forms(self) -> set[str]:
        """Each secret as sent and as it would look encoded, and its random parts alone."""
        out: set[str] = set()
        for value in self.secrets:
            parts = {value}
            if value.count(".") == 2:  # a JWT's signature, a refresh token's secret
                parts.add(value.rsplit(".", 1)[1])
            for part in parts:
                out |= {part, quote_plus(part), quote(part, safe=""), json.dumps(part)[1:-1]}
        return {s for s in out if len(s) >= 8}


@pytest.fixture
async def recorder(service: ServiceProcess) -> AsyncIterator[Recorder]:
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(service.url, timeout=timeout) as http:
        yield Recorder(http)


async def run_scenario(rec: Recorder, store: RedisBackend, redis: RedisProcess) -> None:
    """Every kind of traffic the service logs, each with a secret worth leaking."""
    app_secret = rec.secret("app-" + secrets.token_urlsafe(24))
    integ_secret = rec.secret("integ-" + secrets.token_urlsafe(24))
    password = rec.secret("pw " + secrets.token_urlsafe(16) + " &=+%")
    wrong = rec.secret("wrong " + secrets.token_urlsafe(16))
    app = (await make_client(store, secret=app_secret)).client_id
    public = (await make_client(store)).client_id
    integ = (await make_client(store, kind="integration", secret=integ_secret)).client_id
    user = await make_user(store, password=password)
    login = {"grant_type": "password", "client_id": public, "username": user.email, "scope": "user"}

    await rec.token({"grant_type": "client_credentials", "client_id": public})
    status, tokens = await rec.token({**login, "password": password})
    assert status == 200
    await rec.token({**login, "password": wrong})
    await rec.token({**login, "username": "nobody@example.com", "password": wrong})
    status, rotated = await rec.token(
        {
            "grant_type": "refresh_token",
            "client_id": public,
            "refresh_token": tokens["refresh_token"],
        }
    )
    assert status == 200
    await rec.token(  # the previous token, within the grace window
        {
            "grant_type": "refresh_token",
            "client_id": public,
            "refresh_token": tokens["refresh_token"],
        }
    )
    await rec.token(  # another client's refresh token
        {"grant_type": "refresh_token", "client_id": app, "refresh_token": rotated["refresh_token"]}
    )
    status, _ = await rec.token(  # the user's token was issued to `public`: invalid_grant
        {"grant_type": "token_exchange", "subject_token": rotated["access_token"]},
        {"Authorization": basic_auth(app, app_secret)},
    )
    assert status == 401
    app_login = {**login, "client_id": app, "password": password}
    status, app_tokens = await rec.token(app_login)
    status, exchanged = await rec.token(
        {"grant_type": "token_exchange", "subject_token": app_tokens["access_token"]},
        {"Authorization": basic_auth(app, app_secret)},
    )
    assert status == 200
    await rec.token(
        {
            "grant_type": "token_exchange",
            "client_id": app,
            "client_secret": wrong,
            "subject_token": app_tokens["access_token"],
        }
    )
    status, integ_tokens = await rec.token(
        {"grant_type": "client_credentials", "scope": "integ"},
        {"Authorization": basic_auth(integ, integ_secret)},
    )
    assert status == 200
    await rec.token(
        {"grant_type": "client_credentials", "client_id": integ, "client_secret": wrong}
    )
    await rec.token(
        {
            "grant_type": "refresh_token",
            "client_id": integ,
            "refresh_token": integ_tokens["refresh_token"],
        }
    )
    for token in (integ_tokens["access_token"], integ_tokens["refresh_token"]):
        await rec.send(
            "POST",
            "/v1/auth/introspect",
            data={"token": token},
            headers={"Authorization": basic_auth(integ, integ_secret)},
        )
    await rec.send(
        "POST",
        "/v1/auth/introspect",
        data={"token": app_tokens["access_token"]},
        headers={"Authorization": basic_auth(app, wrong)},
    )
    await rec.send(
        "POST",
        "/v1/auth/revoke",
        data={"token": rotated["refresh_token"]},
        headers={"Authorization": f"Bearer {rotated['access_token']}"},
    )
    await rec.send(
        "POST",
        "/v1/auth/revoke",
        data={"token": exchanged["access_token"], "client_id": app, "client_secret": app_secret},
    )
    await rec.send(
        "POST",
        "/v1/auth/revoke",
        data={"token": app_tokens["refresh_token"]},
        headers={"Authorization": "Bearer " + rec.secret("eyJ" + secrets.token_urlsafe(30))},
    )

    # malformed requests, each carrying secrets
    raw = f"grant_type=password&client_id={public}&username={quote_plus(user.email)}"
    pw = quote_plus(password)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    await rec.token(f"{raw}&password={pw}&password={pw}".encode(), form)
    await rec.token(f"{raw}&password={pw}%ZZ".encode(), form)
    await rec.token(f"{raw}&password={pw}%FF".encode(), form)
    await rec.token(
        json.dumps({"grant_type": "password", "password": password}).encode(),
        {"Content-Type": "application/json"},
    )
    await rec.token(f"{raw}&password={pw}&pad={'x' * 70000}".encode(), form)
    await rec.token(
        {"grant_type": "client_credentials", "client_id": app},
        {"Authorization": "Basic " + base64.b64encode(f"{app}".encode()).decode()},
    )
    await rec.token(
        {"grant_type": "client_credentials"},
        {"Authorization": f"Bearer {app_tokens['access_token']}"},
    )
    await rec.send(
        "POST",
        f"/v1/auth/token?client_secret={quote_plus(app_secret)}&password={pw}",
        data={"grant_type": "client_credentials", "client_id": public},
    )
    await rec.send("GET", f"/v1/auth/token?password={pw}")

    # a Redis stall: the 503 path
    redis.pause()
    try:
        status, _ = await rec.token({**login, "password": password})
        assert status == 503
        status, _ = await rec.token(
            {
                "grant_type": "refresh_token",
                "client_id": integ,
                "refresh_token": integ_tokens["refresh_token"],
            }
        )
        assert status == 503
    finally:
        redis.resume()


async def test_whole_scenario_logs_no_secret_and_one_event_per_grant(
    recorder: Recorder, store: RedisBackend, fault_redis: RedisProcess, service: ServiceProcess
) -> None:
    """No password, secret, token or Authorization value appears in the log, in any encoding."""
    await run_scenario(recorder, store, fault_redis)
    await asyncio.sleep(0.2)  # let the process flush its last lines

    text = service.log_text()
    events = service.events()
    leaked = sorted(s for s in recorder.forms() if s in text)
    per_request = {rid: 0 for rid in recorder.token_requests}
    for event in events:
        if event["event"] in TOKEN_EVENTS and event.get("request_id") in per_request:
            per_request[event["request_id"]] += 1

    assert len(recorder.secrets) >= 25
    assert leaked == []
    assert len(per_request) == len(recorder.token_requests) > 20
    assert sorted(set(per_request.values())) == [1]
    assert {e["outcome"] for e in events if e["event"] in TOKEN_EVENTS} >= {
        "ok",
        "invalid_grant",
        "invalid_client",
        "invalid_request",
        "temporarily_unavailable",
        "request_too_large",
        "method_not_allowed",
    }


async def test_concurrent_requests_keep_their_own_log_context(
    recorder: Recorder, store: RedisBackend, service: ServiceProcess
) -> None:
    """Concurrent grants: each event carries its own request id, client id, grant and user."""
    expected: dict[str, dict[str, str]] = {}

    async def one(i: int) -> None:
        client = (await make_client(store)).client_id
        user = await make_user(store, password="pw-concurrent")
        rid = f"conc-{i}-{uuid.uuid4().hex[:8]}"
        if i % 2:
            data = {"grant_type": "client_credentials", "client_id": client}
            expected[rid] = {"client_id": client, "grant_type": "client_credentials"}
        else:
            data = {
                "grant_type": "password",
                "client_id": client,
                "username": user.email,
                "password": "pw-concurrent",
            }
            expected[rid] = {"client_id": client, "grant_type": "password", "user_id": user.user_id}
        async with recorder.http.post(
            "/v1/auth/token", data=data, headers={"X-Request-ID": rid}
        ) as resp:
            assert resp.status == 200
            assert resp.headers["X-Request-ID"] == rid

    await asyncio.gather(*(one(i) for i in range(24)))
    await asyncio.sleep(0.2)

    mine = [e for e in service.events() if e.get("request_id") in expected]
    issued = [e for e in mine if e["event"] == "token.issued"]
    assert sorted(e["request_id"] for e in issued) == sorted(expected)
    for event in mine:
        want = expected[event["request_id"]]
        assert {k: event.get(k) for k in want} == want, event
    assert all("user_id" not in e for e in mine if e.get("grant_type") == "client_credentials")


async def test_user_input_cannot_forge_a_log_line(
    recorder: Recorder, store: RedisBackend, service: ServiceProcess
) -> None:
    """A newline and JSON in a client id or username stay inside one escaped JSON value."""
    public = (await make_client(store)).client_id
    forged_client = "evil" + FORGED

    await recorder.token({"grant_type": "client_credentials", "client_id": forged_client})
    await recorder.token(
        {"grant_type": "password", "client_id": public, "username": "u" + FORGED, "password": "x"}
    )
    await recorder.token(
        {
            "grant_type": "password",
            "client_id": forged_client,
            "username": "u" + FORGED,
            "password": "x",
        }
    )
    await asyncio.sleep(0.2)

    events = service.events()  # every line must parse as one JSON object
    assert not [e for e in events if e["event"] == "forged"]
    assert [e["client_id"] for e in events if e.get("client_id") == forged_client]
    assert all(line.startswith("{") for line in service.log_text().splitlines() if line)


MALFORMED = {"error": "invalid_request", "error_description": "The request is malformed."}


async def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a connection of its own; (status, headers, body) of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()  # every protocol error closes the connection
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ", 2)[1]), headers, body


def malformed_requests(secret: str, basic: str) -> dict[str, bytes]:
    """Requests aiohttp's parser refuses, each carrying a credential in the offending part."""
    head = "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    form = f"grant_type=password&username=u&password={secret}"
    return {
        "control byte in Authorization": f"{head}Authorization: {basic}\x01\r\n\r\n",
        "Authorization over the limit": f"{head}Authorization: {basic}{'A' * 9000}\r\n\r\n",
        "header line without a colon": f"{head}Authorization {basic}\r\n\r\n",
        "header name with a control byte": f"{head}X-{secret}\x01: 1\r\n\r\n",
        "request line over the limit": (
            f"POST /v1/auth/token?client_secret={secret}{'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n"
        ),
        "control byte in the query": (
            f"POST /v1/auth/token?client_secret={secret}\x01 HTTP/1.1\r\nHost: x\r\n\r\n"
        ),
        "broken HTTP version": f"POST /v1/auth/token HTTP/{secret}\r\nHost: x\r\n\r\n",
        "broken chunk size": (
            f"{head}Content-Type: application/x-www-form-urlencoded\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n{secret}\r\n{form}\r\n0\r\n\r\n"
        ),
    }


async def test_malformed_requests_answer_json_400_and_log_no_credential(
    service: ServiceProcess,
) -> None:
    """Requests aiohttp cannot parse: JSON 400 without echo, and no credential in the log."""
    secret = "pw-" + secrets.token_urlsafe(24)
    basic = basic_auth("client-" + secrets.token_hex(4), secret)
    encoded = basic.partition(" ")[2]
    requests = malformed_requests(secret, basic)
    start = len(service.events())

    answers = {
        name: await raw_exchange(service.port, raw.encode("latin-1"))
        for name, raw in requests.items()
    }
    await asyncio.sleep(0.2)  # let the process flush its log

    text = service.log_text()
    assert secret[3:] not in text and encoded not in text
    for name, (status, headers, body) in answers.items():
        assert secret.encode() not in body and encoded.encode() not in body, name
        assert (status, json.loads(body)) == (400, MALFORMED), name
        assert headers["Content-Type"] == "application/json", name
        assert headers["Cache-Control"] == "no-store", name
    logged = [e for e in service.events()[start:] if e["event"] == "http.malformed"]
    assert len(logged) == len(requests)
    assert {e["request_id"] for e in logged} == {h["X-Request-ID"] for _, h, _ in answers.values()}


async def test_broken_compressed_body_is_a_json_400(service: ServiceProcess) -> None:
    """A gzip body that does not decompress is the client's error: 400, not 500."""
    secret = "pw-" + secrets.token_urlsafe(24)
    form = f"grant_type=password&username=u&password={secret}"
    raw = (
        "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(form)}\r\n\r\n{form}"
    )

    status, _, body = await raw_exchange(service.port, raw.encode())
    await asyncio.sleep(0.2)

    assert (status, json.loads(body)) == (
        400,
        {"error": "invalid_request", "error_description": "The request body could not be read."},
    )
    assert secret not in service.log_text()


@pytest.fixture
def captured_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The service's logging, rendered to a StringIO; the previous configuration restored."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(LogSettings(level="info", format="json"), stream=stream)
    # No caching, so the loggers bound here do not keep this stream after the test.
    structlog.configure(cache_logger_on_first_use=False)
    monkeypatch.setattr(middlewares, "log", structlog.get_logger("tokenhouse.http"))
    yield stream
    structlog.configure(**saved)
    root.handlers[:], root.level = handlers, level
    logging.getLogger("aiohttp.access").disabled = False


async def test_unexpected_exception_logs_no_secret_and_answers_generic_500(
    aiohttp_client: Any, captured_log: io.StringIO, signing_key: Any, fault_redis: RedisProcess
) -> None:
    """A handler that crashes with secrets in its locals and message: 500, traceback scrubbed."""
    refresh_token = "u-" + str(uuid.uuid4()) + "." + "A" * 22 + "." + secrets.token_urlsafe(32)
    password = "pw-" + secrets.token_urlsafe(16)

    async def crash(request: web.Request) -> web.Response:
        authorization = request.headers["Authorization"]
        form = {"password": password, "refresh_token": refresh_token}
        raise RuntimeError(f"cannot use {refresh_token} for {len(form)} {len(authorization)}")

    app = create_app(make_settings(redis={"url": fault_redis.url}), signing=signing_key)
    app.router.add_post("/crash", crash)
    client = await aiohttp_client(app)
    bearer = "Bearer " + secrets.token_urlsafe(32)

    resp = await client.post("/crash", headers={"Authorization": bearer, "X-Request-ID": "crash-1"})
    body = await resp.json()
    lines = [json.loads(line) for line in captured_log.getvalue().splitlines() if line]

    assert (resp.status, body) == (
        500,
        {"error": "server_error", "error_description": "Internal error."},
    )
    errors = [e for e in lines if e["event"] == "server_error"]
    assert len(errors) == 1 and errors[0]["request_id"] == "crash-1"
    assert "RuntimeError: cannot use [redacted]" in errors[0]["exception"]
    text = captured_log.getvalue()
    for secret in (refresh_token, refresh_token.rsplit(".", 1)[1], password, bearer):
        assert secret not in text
