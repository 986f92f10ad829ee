"""create_app: the composition root of the HTTP service (settings -> store, crypto, services).

It builds both listeners' apps on one set of stores: the public one (the OAuth endpoints) and
the admin one (the admin API and /metrics, ``app[ADMIN_APP]``). With ``backend.py`` it is the
only module outside ``store/`` that names the Redis backend.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from .admin import OperatorSessions, build_admin
from .api.admin import make_admin_middleware, setup_admin_routes
from .api.appkeys import ADMIN, HEALTH, IDP_VERIFIER, SERVICES, SETTINGS, STATE
from .api.loginas import LOGIN_AS, LOGIN_AS_ROUTES, Console
from .api.middlewares import make_middleware
from .api.routes import setup_routes
from .crypto.hashing import SecretHasher
from .crypto.jwt import JwtCodec, SigningKey, SigningKeyError, generate_pem, load_key, load_key_dir
from .crypto.sealing import idp_sealer
from .crypto.server_key import Purpose, ServerKey, load_server_key
from .idp.fetch import new_session
from .idp.verifier import IdpVerifier
from .loginas.csrf import CsrfTokens
from .metrics import METRICS, Metrics
from .oauth.clients import ClientDirectory
from .oauth.grants import build_grant_table
from .oauth.services import Services
from .settings import KeySettings, Settings, TokenSettings
from .store.redis import RedisBackend, connect
from .throttling import WaitingLines

log = structlog.get_logger("tokenhouse.app")
# The Redis backend behind the app's Protocols: for the lifecycle, and for tests that arrange data.
BACKEND = web.AppKey("backend", RedisBackend)
# The admin listener's app, kept on the public one: both share the stores, metrics and state.
ADMIN_APP = web.AppKey("admin_app", web.Application)
HANDLER_ARGS = {"max_line_size": 8190, "max_field_size": 8190}


def load_signing_keys(keys: KeySettings) -> tuple[list[SigningKey], str]:
    """The keys from keys.dir and the active kid; without a dir, one generated key."""
    if not keys.dir:
        log.warning("keys.generated", reason="keys.dir is not set: tokens die with this process")
        key = load_key("generated", generate_pem(keys.algorithm), keys.algorithm)
        return [key], key.kid
    loaded = load_key_dir(Path(keys.dir), keys.algorithm)
    if keys.active_kid:
        return loaded, keys.active_kid
    if len(loaded) > 1:
        raise SigningKeyError(
            f"keys.dir holds {len(loaded)} keys: set keys.active_kid to the one that signs"
        )
    return loaded, loaded[0].kid


def build_codec(
    tokens: TokenSettings, keys: KeySettings, signing: tuple[list[SigningKey], str] | None = None
) -> JwtCodec:
    loaded, active = signing or load_signing_keys(keys)
    return JwtCodec(
        loaded,
        active,
        algorithm=keys.algorithm,
        issuer=tokens.issuer,
        audience=tokens.audience,
        leeway=tokens.leeway,
    )


def login_as_csrf_key(server_key: ServerKey | None) -> bytes:
    """The key of the login-as pages' CSRF tokens: derived from the server secret (HKDF,
    purpose ``login-as-csrf``), so every process and pod accepts the others' forms. Without a
    server secret, a random key of this process (warned: a form then works only on the
    process that rendered it)."""
    if server_key is None:
        log.warning(
            "login_as.csrf_key",
            reason="secrets.server_key is not set: login-as forms work only on this process",
        )
        return secrets.token_bytes(32)
    return server_key.derive(Purpose.LOGIN_AS_CSRF)


def login_as_console(
    settings: Settings,
    backend: RedisBackend,
    hasher: SecretHasher,
    server_key: ServerKey | None,
    lines: WaitingLines | None = None,
) -> Console:
    """What the login-as pages on the admin listener work with (``lines``: the password
    grant's waiting lines, as both share the source counters)."""
    sign_in = OperatorSessions(
        backend.operators,
        backend.operator_sessions,
        backend.throttle,
        settings.throttle,
        hasher,
        lines,
    )
    return Console(
        operators=sign_in,
        clients=backend.clients,
        users=backend.users,
        codes=backend.login_codes,
        csrf=CsrfTokens(login_as_csrf_key(server_key)),
        proxy_hops=settings.server.proxy_hops,
    )


def create_app(
    settings: Settings,
    *,
    redis: Any = None,
    signing: tuple[list[SigningKey], str] | None = None,
) -> web.Application:
    """The public listener's aiohttp application, the admin listener's at ``app[ADMIN_APP]``.

    ``redis`` injects a client (fakeredis in unit tests)."""
    client = redis if redis is not None else connect(settings.redis)
    server_key = load_server_key(settings.secrets)
    metrics = Metrics()
    backend = RedisBackend(
        client,
        settings.redis.prefix,
        deadline=settings.server.request_timeout,
        observer=metrics,
        sealer=idp_sealer(server_key),
    )
    hasher = SecretHasher(settings.hashing)
    metrics.bind_hasher(hasher)
    services = Services(
        settings=settings,
        sessions=backend.sessions,
        users=backend.users,
        idps=backend.idps,
        revocations=backend.revocations,
        throttle=backend.throttle,
        hasher=hasher,
        jwt=build_codec(settings.tokens, settings.keys, signing),
        clients=ClientDirectory(backend.clients, hasher, settings.cache),
        grants=build_grant_table(settings.grants.enabled.split()),
        login_codes=backend.login_codes,
        operators=backend.operators,
    )
    services.outcomes.subscribe(metrics.session_event)
    state: dict[str, Any] = {}
    app = web.Application(
        middlewares=[make_middleware(metrics.observe)],
        client_max_size=settings.server.body_limit,
        handler_args=HANDLER_ARGS,
    )
    app[SETTINGS] = settings
    app[SERVICES] = services
    app[HEALTH] = backend
    app[BACKEND] = backend
    app[STATE] = state
    app[METRICS] = metrics
    setup_routes(app)

    admin = web.Application(
        middlewares=[make_admin_middleware()],
        client_max_size=settings.server.body_limit,
        handler_args=HANDLER_ARGS,
    )
    admin[SETTINGS] = settings
    admin[ADMIN] = build_admin(backend, hasher, production=settings.production)
    admin[BACKEND] = backend
    admin[STATE] = state  # draining closes the admin listener's connections too
    admin[METRICS] = metrics
    admin[LOGIN_AS] = login_as_console(settings, backend, hasher, server_key, services.login_lines)
    # The pages make codes for the authorization_code grant: without it they are not served.
    setup_admin_routes(
        admin, *([LOGIN_AS_ROUTES] if "authorization_code" in services.grants else [])
    )
    admin.router.add_get("/metrics", metrics.handler)
    app[ADMIN_APP] = admin

    async def identity_providers(app: web.Application) -> AsyncIterator[None]:
        """One outbound client session per process for social login (https only in production)."""
        async with new_session() as session:
            app[IDP_VERIFIER] = IdpVerifier(
                session, production=settings.production, clock=services.clock
            )
            yield

    lifecycle = SharedLifecycle(backend, hasher)
    app.cleanup_ctx.append(lifecycle)
    app.cleanup_ctx.append(identity_providers)
    admin.cleanup_ctx.append(lifecycle)
    return app


class SharedLifecycle:
    """The stores and the argon2 pool both listeners use: checked when the first app starts,
    closed when the last one stops."""

    def __init__(self, backend: RedisBackend, hasher: SecretHasher) -> None:
        self.backend = backend
        self.hasher = hasher
        self.running = 0

    async def __call__(self, _: web.Application) -> AsyncIterator[None]:
        if self.running == 0:
            for warning in await self.backend.server_warnings():
                log.warning("redis.config", warning=warning)
        self.running += 1
        yield
        self.running -= 1
        if self.running == 0:
            await self.backend.close()
            self.hasher.close()
