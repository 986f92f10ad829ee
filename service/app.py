"""create_app: the composition root of the HTTP service (settings -> store, crypto, services).

With ``backend.py`` it is the only module outside ``store/`` that names the Redis backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from .api.appkeys import HEALTH, IDP_VERIFIER, SERVICES, SETTINGS, STATE
from .api.middlewares import make_middleware
from .api.routes import setup_routes
from .crypto.hashing import SecretHasher
from .crypto.jwt import JwtCodec, SigningKey, SigningKeyError, generate_pem, load_key, load_key_dir
from .idp.fetch import new_session
from .idp.verifier import IdpVerifier
from .metrics import METRICS, Metrics
from .oauth.clients import ClientDirectory
from .oauth.grants import build_grant_table
from .oauth.services import Services
from .settings import KeySettings, Settings, TokenSettings
from .store.redis import RedisBackend, connect

log = structlog.get_logger("tokenhouse.app")
# The Redis backend behind the app's Protocols: for the lifecycle, and for tests that arrange data.
BACKEND = web.AppKey("backend", RedisBackend)


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


def create_app(
    settings: Settings,
    *,
    redis: Any = None,
    signing: tuple[list[SigningKey], str] | None = None,
) -> web.Application:
    """The aiohttp application. ``redis`` injects a client (fakeredis in unit tests)."""
    client = redis if redis is not None else connect(settings.redis)
    metrics = Metrics()
    backend = RedisBackend(
        client,
        settings.redis.prefix,
        deadline=settings.server.request_timeout,
        observer=metrics,
    )
    hasher = SecretHasher(settings.hashing)
    metrics.bind_hasher(hasher)
    services = Services(
        settings=settings,
        sessions=backend.sessions,
        users=backend.users,
        revocations=backend.revocations,
        throttle=backend.throttle,
        hasher=hasher,
        jwt=build_codec(settings.tokens, settings.keys, signing),
        clients=ClientDirectory(backend.clients, hasher, settings.cache),
        grants=build_grant_table(),
    )
    services.outcomes.subscribe(metrics.session_event)
    app = web.Application(
        middlewares=[make_middleware(metrics.observe)],
        client_max_size=settings.server.body_limit,
        handler_args={"max_line_size": 8190, "max_field_size": 8190},
    )
    app[SETTINGS] = settings
    app[SERVICES] = services
    app[HEALTH] = backend
    app[BACKEND] = backend
    app[STATE] = {}
    setup_routes(app)
    app[METRICS] = metrics
    app.router.add_get("/metrics", metrics.handler)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        for warning in await backend.server_warnings():
            log.warning("redis.config", warning=warning)
        yield
        await backend.close()
        hasher.close()

    async def identity_providers(app: web.Application) -> AsyncIterator[None]:
        """One outbound client session per process for social login (https only in production)."""
        async with new_session() as session:
            app[IDP_VERIFIER] = IdpVerifier(
                session, production=settings.production, clock=services.clock
            )
            yield

    app.cleanup_ctx.append(lifecycle)
    app.cleanup_ctx.append(identity_providers)
    return app
