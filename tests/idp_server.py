"""A local identity provider on a free loopback port: OIDC discovery, a JWKS, ID tokens, and a
Facebook Graph stand-in, each endpoint able to misbehave on request.

In-process (one event loop with the test)::

    async with LocalIdp() as idp:
        token = idp.mint(sub="user-1")             # RS256; idp.mint(key=idp.es, ...) for ES256
        idp.fail("jwks", "stall")                  # stall | error | garbage | huge | huge_chunked
        idp.rotate()                               #   | wrong_shape | redirect | ok
        fb = idp.facebook_token("1001", "bob@example.com")

As a process: ``python -m tests.idp_server --port N`` prints one JSON line (issuer, graph_url,
client_id, facebook app id and secret) and serves until SIGTERM; ``POST /_control/<action>``
with a JSON body (mint, forge, fail, rotate, facebook_token; ``GET /_control/requests``) drives
it; ``forge`` makes the hostile tokens of ``idp_tokens`` (``none``, ``hs256``, ``impostor``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import hmac
import json
import secrets
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .idp_tokens import IdpKey, hs256_with_public_key, impostor, new_key, sign, unsigned

ENDPOINTS = ("discovery", "jwks", "debug_token", "me")
FAULTS = ("ok", "stall", "error", "garbage", "huge", "huge_chunked", "wrong_shape", "redirect")
HUGE = 4 * 1024 * 1024  # bytes of a "huge" body


@dataclass
class FacebookUser:
    user_id: str
    email: str | None
    app_id: str
    valid: bool = True


class LocalIdp:
    """The identity provider; ``issuer`` and ``graph_url`` are known once it has started."""

    def __init__(
        self,
        *,
        client_id: str = "local-client",
        port: int = 0,
        fb_app_id: str = "1234567890",
        fb_app_secret: str = "fb-app-secret",
        stall_seconds: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.port = port
        self.fb_app_id = fb_app_id
        self.fb_app_secret = fb_app_secret
        self.stall_seconds = stall_seconds
        self.rs = new_key("RS256")
        self.es = new_key("ES256")
        self.keys: list[IdpKey] = [self.rs, self.es]  # what the JWKS publishes
        self.faults: dict[str, str] = {}
        self.discovery_overrides: dict[str, Any] = {}
        self.requests: collections.Counter[str] = collections.Counter()
        self.fb_users: dict[str, FacebookUser] = {}
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ----

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.issuer}/graph"

    async def start(self) -> LocalIdp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close the listener (connections are then refused) and end stalled handlers."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalIdp:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- what tests change ----

    def fail(self, endpoint: str, mode: str) -> None:
        """Make one endpoint misbehave (``ok`` heals it)."""
        assert endpoint in ENDPOINTS and mode in FAULTS, (endpoint, mode)
        self.faults[endpoint] = mode

    def heal(self) -> None:
        self.faults.clear()

    def rotate(self, alg: str = "RS256", *, keep_old: bool = False) -> IdpKey:
        """A new signing key; the JWKS publishes it (and the old ones only with keep_old)."""
        key = new_key(alg)
        self.keys = [*self.keys, key] if keep_old else [key]
        if alg == "RS256":
            self.rs = key
        else:
            self.es = key
        return key

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Valid ID-token claims for ``client_id``; a value of None drops that claim."""
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "email": "alice@example.com",
            "email_verified": True,
        }
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    def mint(
        self, *, key: IdpKey | None = None, header: dict[str, Any] | None = None, **changes: Any
    ) -> str:
        """An ID token signed by one of the IdP's keys (RS256 unless ``key``)."""
        return sign(key or self.rs, self.claims(**changes), **(header or {}))

    def facebook_token(
        self,
        user_id: str = "1001",
        email: str | None = "bob@example.com",
        *,
        app_id: str | None = None,
        valid: bool = True,
    ) -> str:
        """A Facebook user access token the Graph stand-in knows."""
        token = "EAA" + secrets.token_urlsafe(32)
        self.fb_users[token] = FacebookUser(user_id, email, app_id or self.fb_app_id, valid)
        return token

    # ---- the HTTP side ----

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/graph/debug_token", self._debug_token)
        app.router.add_get("/graph/me", self._me)
        app.router.add_get("/_control/requests", self._control_requests)
        app.router.add_post("/_control/{action}", self._control)
        return app

    async def _serve(
        self, request: web.Request, endpoint: str, body: Any, status: int = 200
    ) -> web.StreamResponse:
        """``body`` as JSON, unless the endpoint was told to misbehave."""
        self.requests[endpoint] += 1
        mode = self.faults.get(endpoint, "ok")
        if mode == "stall":
            await asyncio.sleep(self.stall_seconds)
        elif mode == "error":
            return web.json_response({"error": "internal"}, status=500)
        elif mode == "garbage":
            return web.Response(text="<html>\x00not json{{", content_type="text/html")
        elif mode == "wrong_shape":
            return web.json_response(["not", "an", "object"])
        elif mode == "redirect":
            raise web.HTTPFound("http://127.0.0.1:9/elsewhere")
        elif mode == "huge":
            return web.Response(body=b"[" + b"0," * (HUGE // 2) + b"0]")
        elif mode == "huge_chunked":
            return await self._endless(request)
        return web.json_response(body, status=status)

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            await resp.write(b'{"keys": [')
            for _ in range(HUGE // 4096):
                await resp.write(b'{"kty": "oct"},' * 256)
            await resp.write(b"{}]}")
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return resp

    async def _discovery(self, request: web.Request) -> web.StreamResponse:
        doc = {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
            **self.discovery_overrides,
        }
        return await self._serve(request, "discovery", doc)

    async def _jwks(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "jwks", {"keys": [k.jwk for k in self.keys]})

    async def _debug_token(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("access_token") != f"{self.fb_app_id}|{self.fb_app_secret}":
            error = {"message": "Invalid app token.", "type": "OAuthException", "code": 190}
            return await self._serve(request, "debug_token", {"error": error}, 400)
        user = self.fb_users.get(q.get("input_token", ""))
        if user is None or not user.valid:
            error = {"code": 190, "message": "Invalid OAuth access token."}
            return await self._serve(
                request, "debug_token", {"data": {"is_valid": False, "error": error}}
            )
        data = {
            "app_id": user.app_id,
            "type": "USER",
            "application": "local",
            "expires_at": int(time.time()) + 3600,
            "is_valid": True,
            "scopes": ["email", "public_profile"],
            "user_id": user.user_id,
        }
        return await self._serve(request, "debug_token", {"data": data})

    async def _me(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("access_token", "")
        user = self.fb_users.get(token)
        proof = hmac.new(self.fb_app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if user is None or not user.valid or request.query.get("appsecret_proof") != proof:
            error = {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
            return await self._serve(request, "me", {"error": error}, 400)
        body = {"id": user.user_id} | ({"email": user.email} if user.email else {})
        return await self._serve(request, "me", body)

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response(dict(self.requests))

    async def _control(self, request: web.Request) -> web.Response:
        """Drive a separate process: mint, fail, rotate, facebook_token."""
        action = request.match_info["action"]
        body = await request.json() if request.can_read_body else {}
        if action == "mint":
            key = self.es if body.get("key") == "es" else self.rs
            token = self.mint(key=key, header=body.get("header"), **body.get("claims", {}))
            return web.json_response({"token": token})
        if action == "forge":
            claims = self.claims(**body.get("claims", {}))
            forged = {
                "none": lambda: unsigned(self.rs.kid, claims),
                "hs256": lambda: hs256_with_public_key(self.rs, claims),
                "impostor": lambda: impostor(self.rs.kid, claims),
            }[body["kind"]]()
            return web.json_response({"token": forged})
        if action == "fail":
            self.fail(body["endpoint"], body["mode"])
        elif action == "rotate":
            return web.json_response({"kid": self.rotate(body.get("alg", "RS256")).kid})
        elif action == "facebook_token":
            return web.json_response({"token": self.facebook_token(**body)})
        else:
            raise web.HTTPNotFound()
        return web.json_response({})


async def serve(port: int) -> None:
    """Run until SIGTERM or SIGINT, after printing where to find the IdP."""
    idp = await LocalIdp(port=port).start()
    info = {
        "issuer": idp.issuer,
        "graph_url": idp.graph_url,
        "client_id": idp.client_id,
        "fb_app_id": idp.fb_app_id,
        "fb_app_secret": idp.fb_app_secret,
    }
    print(json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await idp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A local identity provider for tests.")
    parser.add_argument("--port", type=int, default=0, help="loopback port (0: a free one)")
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
