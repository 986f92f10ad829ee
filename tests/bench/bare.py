"""A bare aiohttp + uvloop server answering a fixed JSON body: this machine's ceiling, now.

``python -m tests.bench.bare <port> [workers]``. Run by the bench as a calibration: on a shared
or throttled machine the absolute numbers move, and the service's ratio to this one does less.
"""

from __future__ import annotations

import multiprocessing
import sys

import orjson
from aiohttp import web

BODY = orjson.dumps(
    {"access_token": "x" * 420, "token_type": "bearer", "expires_in": 600, "scope": "public-read"}
)


async def token(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


def serve(port: int) -> None:
    import uvloop

    uvloop.install()
    app = web.Application()
    app.router.add_post("/v1/auth/token", token)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, reuse_port=True)


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    procs = [multiprocessing.Process(target=serve, args=(port,)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
