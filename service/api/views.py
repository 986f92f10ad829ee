"""One thin coroutine per route: parse -> OAuth call -> JSON."""

from __future__ import annotations

import time
from importlib import resources

import orjson
from aiohttp import web

from ..errors import ErrorCode, OAuthError, StoreUnavailable
from ..oauth.idp_login import login_with_idp
from ..oauth.introspection import introspect
from ..oauth.revocation import revoke
from ..oauth.token_endpoint import issue_token
from .appkeys import HEALTH, IDP_VERIFIER, SERVICES, SETTINGS, STATE
from .parsing import parse_request
from .responses import json_response

READY_CACHE_SECONDS = 1.0


async def token(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    req = await parse_request(request, services.settings.server.proxy_hops)
    response = await issue_token(req, services)
    return json_response(response.as_dict())


async def revoke_view(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    req = await parse_request(request, services.settings.server.proxy_hops, allow_bearer=True)
    await revoke(req, services)
    return json_response({})


async def introspect_view(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    req = await parse_request(request, services.settings.server.proxy_hops)
    return json_response(await introspect(req, services))


async def auth_with_idp(request: web.Request) -> web.Response:
    """Social login (the SDK's loginWithIdp): parsed as strictly as the token endpoint."""
    services = request.app[SERVICES]
    req = await parse_request(request, services.settings.server.proxy_hops)
    response = await login_with_idp(req, services, request.app[IDP_VERIFIER])
    return json_response(response.as_dict())


async def jwks(request: web.Request) -> web.Response:
    return web.Response(
        body=request.app[SERVICES].jwt.jwks_json(),
        content_type="application/json",
        headers={"Cache-Control": "public, max-age=60"},
    )


async def metadata(request: web.Request) -> web.Response:
    """RFC 8414 authorization server metadata: exactly what this server supports."""
    settings = request.app[SETTINGS]
    grant_types = sorted(request.app[SERVICES].grants)
    issuer = settings.tokens.issuer.rstrip("/")
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    confidential = auth_methods[:2]  # introspection answers confidential clients only
    login_as = "authorization_code" in grant_types
    body = {
        "issuer": settings.tokens.issuer,
        "token_endpoint": f"{issuer}/v1/auth/token",
        "revocation_endpoint": f"{issuer}/v1/auth/revoke",
        "introspection_endpoint": f"{issuer}/v1/auth/introspect",
        # Not an RFC 8414 name (§2 allows more): the Sharetribe SDK's loginWithIdp.
        "auth_with_idp_endpoint": f"{issuer}/v1/auth/auth_with_idp",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": grant_types,
        # Codes come from operators on the admin listener, which is never public: it is not
        # advertised as an authorization_endpoint.
        "response_types_supported": ["code"] if login_as else [],
        "scopes_supported": ["public-read", "user", "trusted:user", "integ"]
        + (["user:limited"] if login_as else []),
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": confidential,
        "auth_with_idp_endpoint_auth_methods_supported": confidential,  # a marketplace's secret
        "token_endpoint_auth_signing_alg_values_supported": [settings.keys.algorithm],
    }
    if login_as:
        body["code_challenge_methods_supported"] = ["S256"]  # RFC 8414 §2, RFC 7636: no plain
    return web.Response(
        body=orjson.dumps(body),
        content_type="application/json",
        headers={"Cache-Control": "public, max-age=60"},
    )


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of this API (service/api/openapi.yaml)."""
    document = resources.files("service.api").joinpath("openapi.yaml").read_bytes()
    return web.Response(
        body=document,
        content_type="application/yaml",
        headers={"Cache-Control": "public, max-age=60"},
    )


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Never touches Redis."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: Redis answered a PING within the last second, and we are not draining."""
    state = request.app[STATE]
    if state.get("draining"):
        raise OAuthError(ErrorCode.TEMPORARILY_UNAVAILABLE, detail="draining", retry_after=1)
    now = time.monotonic()
    if now - state.get("ready_checked", 0.0) > READY_CACHE_SECONDS:
        try:
            state["ready"] = await request.app[HEALTH].ping()
        except StoreUnavailable:
            state["ready"] = False
        state["ready_checked"] = now
    if not state.get("ready"):
        raise OAuthError(ErrorCode.TEMPORARILY_UNAVAILABLE, detail="redis down", retry_after=1)
    return json_response({"status": "ready"})
