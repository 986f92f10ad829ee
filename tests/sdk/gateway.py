"""A stand-in marketplace API for the official-SDK tier: it checks Bearer tokens with tokenhouse's
JWKS, as a real gateway does, and forwards /v1/auth/* to tokenhouse unchanged.

The Sharetribe SDKs refresh only when an API call answers 401, and tokenhouse serves only the
Authentication API, so the SDKs need something at ``baseUrl`` that plays the Marketplace and
Integration APIs. This one verifies each access token itself (signature by ``kid`` with the
published key, algorithm pinned, ``typ``, ``iss``, ``aud``, ``exp`` with no leeway): an invalid
or expired token gets 401, a valid token without the scope an endpoint needs gets 403. It answers
a few read endpoints in Transit (what the SDKs ask for) and records what it saw, never a token
or a secret: the paths, statuses, scopes and subjects of API calls, and the grant type,
parameter names and status of every auth request it forwarded.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

from ..redis_proc import free_port

# Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus the framing that
# aiohttp recomputes for the body it sends.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
ALGORITHMS = ("ES256", "RS256")
MARKETPLACE_ID = uuid.UUID("5f3b0b6e-6c2a-4a4e-9a49-1d6f2a7c0001")
MARKETPLACE_NAME = "Stand-in Marketplace"

# (path, scopes that may call it; None: any valid token)
ENDPOINTS: dict[str, frozenset[str] | None] = {
    "/v1/api/marketplace/show": None,
    "/v1/api/current_user/show": frozenset({"user", "trusted:user"}),
    "/v1/integration_api/marketplace/show": frozenset({"integ"}),
}


def digest(token: str) -> str:
    """A short SHA-256 of a token: lets tests compare tokens the gateway never keeps."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def transit(value: Any) -> Any:
    """Transit-JSON (what the SDKs' readers expect): maps with keyword keys, UUIDs tagged."""
    if isinstance(value, dict):
        out: list[Any] = ["^ "]
        for key, item in value.items():
            out += [f"~:{key}", transit(item)]
        return out
    if isinstance(value, list):
        return [transit(item) for item in value]
    if isinstance(value, uuid.UUID):
        return f"~u{value}"
    if isinstance(value, str) and value[:1] in ("~", "^", "`"):
        return "~" + value
    return value


@dataclass
class ApiCall:
    """One Marketplace or Integration API call as the gateway judged it."""

    path: str
    status: int
    reason: str = "ok"  # ok | missing | expired | invalid | scope
    scope: str | None = None
    sub: str | None = None
    client_id: str | None = None


@dataclass
class AuthCall:
    """One forwarded /v1/auth/* request: never its values, only what tests assert on."""

    path: str
    status: int
    grant_type: str | None
    params: tuple[str, ...]  # the form's parameter names, sorted
    bearer: bool
    refresh_token: str | None = None  # digest of the refresh token in a token response
    scope: str | None = None


@dataclass
class Gateway:
    """The stand-in on 127.0.0.1:<free port>, forwarding auth requests to ``upstream``."""

    upstream: str
    issuer: str
    audience: str
    port: int = field(default_factory=free_port)
    api_calls: list[ApiCall] = field(default_factory=list)
    auth_calls: list[AuthCall] = field(default_factory=list)
    _keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = None
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Gateway:
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
        )
        app = web.Application()
        app.router.add_route("*", "/v1/auth/{name}", self._forward)
        for path in ENDPOINTS:
            app.router.add_get(path, self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def grants(self, grant_type: str) -> list[AuthCall]:
        """The forwarded token requests of one grant type."""
        return [c for c in self.auth_calls if c.grant_type == grant_type]

    # the Authentication API: forwarded unchanged ------------------------------------------
    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            data=body,
            headers=headers,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out_headers = [
                (k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP
            ]
            response = web.Response(status=upstream.status, body=payload)
            for key, value in out_headers:
                response.headers.add(key, value)
        self.auth_calls.append(self._auth_call(request, body, upstream.status, payload))
        return response

    @staticmethod
    def _auth_call(request: web.Request, body: bytes, status: int, payload: bytes) -> AuthCall:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        call = AuthCall(
            path=request.path,
            status=status,
            grant_type=form.get("grant_type", [None])[0],
            params=tuple(sorted(form)),
            bearer=request.headers.get("Authorization", "").lower().startswith("bearer "),
        )
        if status == 200 and request.path.endswith("/token"):
            answer = json.loads(payload)
            call.scope = answer.get("scope")
            if answer.get("refresh_token"):
                call.refresh_token = digest(answer["refresh_token"])
        return call

    # the Marketplace and Integration APIs ---------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        claims, reason = await self._verify(request.headers.get("Authorization", ""))
        if claims is None:
            self.api_calls.append(ApiCall(request.path, 401, reason))
            return web.json_response(
                {"errors": [{"status": 401, "code": "unauthorized", "title": reason}]},
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        call = ApiCall(
            request.path, 200, "ok", claims["scope"], claims["sub"], claims.get("client_id")
        )
        allowed = ENDPOINTS[request.path]
        if allowed is not None and not allowed & set(claims["scope"].split()):
            call.status, call.reason = 403, "scope"
            self.api_calls.append(call)
            return web.json_response(
                {"errors": [{"status": 403, "code": "forbidden"}]},
                status=403,
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        self.api_calls.append(call)
        if request.path.endswith("current_user/show"):
            data = {
                "id": uuid.UUID(claims["sub"]),
                "type": "currentUser",
                "attributes": {"scope": claims["scope"]},
            }
        else:
            data = {
                "id": MARKETPLACE_ID,
                "type": "marketplace",
                "attributes": {"name": MARKETPLACE_NAME},
            }
        return web.json_response(transit({"data": data}), content_type="application/transit+json")

    async def _verify(self, authorization: str) -> tuple[dict[str, Any] | None, str]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, "missing"
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(header.get("kid"))
            if key is None or header.get("typ") != "at+jwt" or key.get("alg") not in ALGORITHMS:
                return None, "invalid"
            claims = jwt.decode(
                token,
                key,
                algorithms=[key["alg"]],
                audience=self.audience,
                issuer=self.issuer,
                options={"require_exp": True, "require_iat": True, "require_sub": True},
            )
        except ExpiredSignatureError:
            return None, "expired"
        except JOSEError:
            return None, "invalid"
        if claims["exp"] <= time.time():  # python-jose lets the last second through
            return None, "expired"
        return claims, "ok"

    async def _key(self, kid: Any) -> dict[str, Any] | None:
        """The published key named ``kid``; the JWKS is fetched again for an unknown one."""
        if not isinstance(kid, str):
            return None
        if kid not in self._keys:
            assert self._session is not None
            async with self._session.get(self.upstream + "/.well-known/jwks.json") as resp:
                jwks = await resp.json()
            self._keys = {k["kid"]: k for k in jwks["keys"] if "kid" in k}
        return self._keys.get(kid)
