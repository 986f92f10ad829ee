"""`tokenhouse serve`: the embedded store if needed, demo data, then one or more workers.

Start-up never needs an external Redis: it is first touched by requests (and /readyz answers
503 until it answers). Demo data only ever goes into the embedded store, never into a Redis
that ``redis.url`` names.

Each worker serves both listeners (public and admin); workers share each port with
SO_REUSEPORT. SIGTERM makes each worker answer /readyz with 503,
keep serving for ``server.drain_delay``, stop accepting, finish in-flight requests within
``server.shutdown_timeout`` and exit 0. The parent of ``--workers N`` forwards the signal.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from .api.appkeys import STATE
from .api.protocol import JsonErrorAppRunner
from .app import ADMIN_APP, create_app
from .crypto.jwt import generate_pem
from .crypto.server_key import with_local_server_key
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
    from .backend import open_admin
    from .demo import ensure_demo_data

    async with open_admin(settings) as admin:
        return await ensure_demo_data(admin, settings.redis.embedded_dir)


def serve_worker(settings: Settings, reuse_port: bool = False) -> None:
    """One worker process: the aiohttp app until SIGTERM or SIGINT, then a graceful drain."""
    configure_logging(settings.log)
    _install_uvloop()
    asyncio.run(_serve(settings, reuse_port))
    # Drained: a repeated SIGTERM must not kill the rest of the shutdown (the embedded store).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


async def _serve(settings: Settings, reuse_port: bool) -> None:
    """Serve both listeners until a signal; then readiness 503, ``drain_delay``, close, drain.

    aiohttp's ``run_app`` closes the listener first and only then runs ``on_shutdown``, so
    /readyz would never answer 503. Here the order is: draining flag (readiness 503, every
    response says ``Connection: close``), ``server.drain_delay`` seconds of normal service
    (endpoint propagation), then each listener's ``runner.cleanup()``: stop accepting, close
    idle keep-alive connections, wait up to ``server.shutdown_timeout`` for in-flight requests;
    the last one closes Redis.
    """
    server, admin = settings.server, settings.admin
    app = create_app(settings)
    state = app[STATE]  # the middlewares close connections while state["draining"]
    runners = [
        JsonErrorAppRunner(
            listener,
            access_log=None,
            shutdown_timeout=server.shutdown_timeout,
            keepalive_timeout=server.keepalive_timeout,
            handle_signals=False,
            handler_cancellation=True,  # a client that leaves frees its place (argon2, login line)
        )
        for listener in (app[ADMIN_APP], app)
    ]
    for runner in runners:
        await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        # The admin listener first: once the public one answers, both do.
        for runner, host, port in (
            (runners[0], admin.host, admin.port),
            (runners[1], server.host, server.port),
        ):
            await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        log.info(
            "server.listening",
            host=server.host,
            port=server.port,
            admin_host=admin.host,
            admin_port=admin.port,
            env=settings.env,
        )
        await stop.wait()
        state["draining"] = True
        log.info(
            "server.draining",
            drain_delay=server.drain_delay,
            shutdown_timeout=server.shutdown_timeout,
        )
        if server.drain_delay > 0:
            await asyncio.sleep(server.drain_delay)
    finally:
        # Both listeners drain at once; the shared stores close after the last one.
        await asyncio.gather(*(runner.cleanup() for runner in runners))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("server.stopped")


def _exit_cleanly(signum: int, _: Any) -> None:
    raise SystemExit(0)  # the finally blocks stop what was started


def run(settings: Settings) -> None:
    configure_logging(settings.log)
    from .backend import server_key

    # For `make run` a server key is generated beside the embedded store; a configured one that
    # cannot be used refuses start-up here (ConfigError), before anything is started.
    settings = with_local_server_key(settings)
    if server_key(settings) is None:
        log.warning(
            "secrets.no_server_key",
            reason="TOKENHOUSE_SECRETS__SERVER_KEY(_FILE) gives no key: Facebook identity "
            "providers can be neither added nor used",
        )
    # Until the event loop takes SIGTERM over, a stop request ends start-up cleanly.
    signal.signal(signal.SIGTERM, _exit_cleanly)
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
        if settings.demo.enabled and embedded is None:
            log.warning("demo.skipped", reason="demo data only goes into the embedded store")
        elif settings.demo.enabled:
            demo = asyncio.run(_prepare_demo(settings))
            from .demo import banner

            public = f"http://{settings.server.host}:{settings.server.port}"
            admin = f"http://{settings.admin.host}:{settings.admin.port}"
            print(banner(demo, public, admin), flush=True)
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
    received: list[int] = []

    def forward(signum: int, _: Any) -> None:
        received.append(signum)
        for proc in procs:
            if proc.pid and proc.is_alive():
                os.kill(proc.pid, signum)

    # installed first: a SIGTERM during start-up must not kill the parent and orphan workers
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for proc in procs:
        proc.start()
    if received:  # a signal arrived while the workers were starting
        forward(received[0], None)
    for proc in procs:
        proc.join()
    codes = [p.exitcode for p in procs]
    if any(codes):
        sys.exit(1)


__all__ = ["run", "serve_worker"]
