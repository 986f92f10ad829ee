"""HTTP calls for the operations tier, over an aiohttp TestClient or a ClientSession(base_url)."""

from __future__ import annotations

import re
from typing import Any

from ..factories import basic_auth

TOKEN = "/v1/auth/token"
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The grant is invalid, expired or revoked.",
}
INVALID_SUBJECT = {"error": "invalid_grant", "error_description": "The subject_token is invalid."}


async def post(http: Any, path: str, data: dict[str, str], **kw: Any) -> tuple[int, Any]:
    async with http.post(path, data=data, **kw) as resp:
        return resp.status, await resp.json()


async def login(http: Any, client_id: str, email: str, password: str) -> tuple[int, Any]:
    return await post(
        http,
        TOKEN,
        {
            "grant_type": "password",
            "client_id": client_id,
            "username": email,
            "password": password,
            "scope": "user",
        },
    )


async def refresh(http: Any, client_id: str, token: str) -> tuple[int, Any]:
    return await post(
        http, TOKEN, {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    )


async def anonymous(http: Any, client_id: str) -> tuple[int, Any]:
    return await post(
        http,
        TOKEN,
        {"grant_type": "client_credentials", "client_id": client_id, "scope": "public-read"},
    )


async def exchange(http: Any, client_id: str, secret: str, subject: str) -> tuple[int, Any]:
    return await post(
        http,
        TOKEN,
        {"grant_type": "token_exchange", "subject_token": subject},
        headers={"Authorization": basic_auth(client_id, secret)},
    )


async def introspect(http: Any, client_id: str, secret: str, token: str) -> tuple[int, Any]:
    return await post(
        http, "/v1/auth/introspect", {"token": token},
        headers={"Authorization": basic_auth(client_id, secret)},
    )  # fmt: skip


async def revoke(http: Any, client_id: str, secret: str, token: str) -> tuple[int, Any]:
    return await post(
        http, "/v1/auth/revoke", {"token": token},
        headers={"Authorization": basic_auth(client_id, secret)},
    )  # fmt: skip


SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text -> {"name{labels}": value} (labels as written)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match is not None, line
        out[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return out


def metric_sum(samples: dict[str, float], name: str, **labels: str) -> float:
    """The sum of ``name`` over the series whose labels include ``labels``."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base == name and all(w in rest for w in wanted):
            total += value
    return total
