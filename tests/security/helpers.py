"""Helpers of the security tests: raw form posts, JWT forging, argon2 call recording."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from service.crypto.hashing import SecretHasher

from ..flows import (  # noqa: F401 (paths and error bodies: for the security tests)
    BAD_LOGIN,
    FORM,
    INTROSPECT,
    INVALID_CLIENT,
    REVOKE,
    TOKEN,
    TOO_MANY,
    UNAVAILABLE,
    invalid_request,
    jwt_parts,
)
from ..flows import EXCHANGE_URN as EXCHANGE  # noqa: F401
from ..flows import INVALID_SUBJECT as BAD_SUBJECT  # noqa: F401

BASIC_CHALLENGE = 'Basic realm="tokenhouse"'
# Headers that legitimately differ between two otherwise identical answers.
VOLATILE_HEADERS = {"X-Request-ID", "Date"}


async def post_raw(
    client: TestClient,
    body: bytes,
    *,
    path: str = TOKEN,
    content_type: str | None = FORM,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    """POST raw bytes with the given Content-Type (None: no Content-Type header at all)."""
    hdrs = dict(headers or {})
    skip: list[str] = []
    if content_type is None:
        skip.append("Content-Type")
    else:
        hdrs["Content-Type"] = content_type
    resp = await client.post(path, data=body, headers=hdrs, skip_auto_headers=skip)
    assert resp.content_type == "application/json", await resp.text()
    return resp.status, await resp.json(), resp


async def post_form(
    client: TestClient, data: dict[str, str], *, path: str = TOKEN, **kwargs: Any
) -> tuple[int, Any, Any]:
    resp = await client.post(path, data=data, **kwargs)
    assert resp.content_type == "application/json", await resp.text()
    return resp.status, await resp.json(), resp


def stable_headers(resp: Any) -> dict[str, str]:
    """The response headers minus those that differ per request (request id, date)."""
    return {k: v for k, v in resp.headers.items() if k not in VOLATILE_HEADERS}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(header: dict[str, Any], claims: Any, sign: Callable[[bytes], bytes] | None) -> str:
    """A compact JWS of any header and claims, signed by ``sign`` (None: empty signature)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode("ascii")) if sign is not None else b""
    return f"{signing_input}.{b64url(signature)}"


class VerifyRecorder:
    """Wraps one SecretHasher's argon2 call (``_verify_sync``) to record the hashes it checks.

    With ``gate`` set, every verification blocks in its worker thread until the gate opens,
    so a test can observe the service while argon2 is busy.
    """

    def __init__(self, hasher: SecretHasher, gate: threading.Event | None = None) -> None:
        self.hasher = hasher
        self.calls: list[str] = []
        self.gate = gate
        self._inner = hasher._verify_sync
        hasher._verify_sync = self._verify  # type: ignore[method-assign]

    def _verify(self, encoded: str, secret: str) -> bool:
        self.calls.append(encoded)
        if self.gate is not None:
            self.gate.wait(10)
        return self._inner(encoded, secret)
