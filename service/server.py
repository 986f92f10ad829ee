"""`tokenhouse serve`: the embedded store if needed, demo data, then one or more workers.

Workers share the port with SO_REUSEPORT. SIGTERM makes each worker stop accepting, finish
in-flight requests within ``server.shutdown_timeout`` and exit 0 (aiohttp's graceful runner).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from .api.appkeys import STATE
from .app import create_app
from .crypto.jwt import generate_pem
from .embedded import EmbeddedRedis
from .log import configure_logging
from .settings import Settings, replace

log = structlog.get_logger("tokenhouse.server")


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - optional speed-up
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _prepare_demo(settings: Settings) -> dict[str, Any]:
    from .crypto.hashing import SecretHasher
    from .demo import ensure_demo_data
    from .store.redis import RedisStore, connect

    store = RedisStore(connect(settings.redis), settings.redis.prefix, deadline=5.0)
    hasher = SecretHasher(settings.hashing)
    try:
        return await ensure_demo_data(store, hasher, settings.redis.embedded_dir)
    finally:
        await store.close()
        hasher.close()


def serve_worker(settings: Settings, reuse_port: bool = False) -> None:
    """One worker process: the aiohttp app until SIGTERM or SIGINT."""
    configure_logging(settings.log)
    _install_uvloop()
    app = create_app(settings)

    async def mark_draining(app: web.Application) -> None:
        app[STATE]["draining"] = True

    app.on_shutdown.append(mark_draining)
    log.info(
        "server.listening", host=settings.server.host, port=settings.server.port, env=settings.env
    )
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        access_log=None,
        shutdown_timeout=settings.server.shutdown_timeout,
        keepalive_timeout=settings.server.keepalive_timeout,
        reuse_port=reuse_port or None,
        print=None,
        handle_signals=True,
    )


def run(settings: Settings) -> None:
    configure_logging(settings.log)
    embedded: EmbeddedRedis | None = None
    if not settings.redis.url:
        embedded = EmbeddedRedis(settings.redis.embedded_dir)
        url = embedded.start()
        log.info("redis.embedded", socket=str(embedded.socket), dir=str(embedded.dir))
        settings = replace(settings, redis={"url": url})
    workers = settings.server.workers
    keydir: tempfile.TemporaryDirectory[str] | None = None
    try:
        if workers > 1 and not settings.keys.dir:
            # Every worker must sign with, and publish, the same generated key.
            keydir = tempfile.TemporaryDirectory(prefix="tokenhouse-keys-")
            path = Path(keydir.name) / "generated.pem"
            path.write_bytes(generate_pem(settings.keys.algorithm))
            path.chmod(0o600)
            log.warning(
                "keys.generated", reason="keys.dir is not set: tokens die with this process"
            )
            settings = replace(settings, keys={"dir": keydir.name})
        if settings.demo.enabled:
            demo = asyncio.run(_prepare_demo(settings))
            from .demo import banner

            print(banner(demo, f"http://{settings.server.host}:{settings.server.port}"), flush=True)
        if workers == 1:
            serve_worker(settings)
        else:
            _run_workers(settings, workers)
    finally:
        if embedded is not None:
            embedded.stop()
        if keydir is not None:
            keydir.cleanup()


def _run_workers(settings: Settings, workers: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=serve_worker, args=(settings, True), name=f"worker-{i}")
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()

    def forward(signum: int, _: Any) -> None:
        for proc in procs:
            if proc.pid and proc.is_alive():
                proc.terminate() if signum == signal.SIGTERM else proc._popen.send_signal(signum)  # type: ignore[union-attr]

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for proc in procs:
        proc.join()
    codes = [p.exitcode for p in procs]
    if any(codes):
        sys.exit(1)


__all__ = ["run", "serve_worker"]
