"""`python -m tests.bench.serve serve ...`: the real CLI, with one fast path switched off.

For the before/after runs only: ``BENCH_VARIANT`` names the fast path to disable. The patches
sit at module level so that the spawned workers (which re-import this module as
``__mp_main__``) get them too. With no variant this is exactly ``python -m service serve``.

  no-uvloop     the default asyncio event loop instead of uvloop
  stdlib-json   json.dumps instead of orjson for response bodies
  key-per-sign  build the python-jose key object from PEM on every signature
  argon2-no-nice  argon2 pool threads at the event loop's priority
  profile       cProfile (CPU time of the event-loop thread) of the worker, written to
                $BENCH_PROFILE_DIR on exit; with BENCH_WORKERS=1 only

The client cache, the secret-verification cache, the argon2 pool and --workers are switched
with settings (TOKENHOUSE_CACHE__CLIENT_TTL=0, TOKENHOUSE_CACHE__SECRET_TTL=0,
TOKENHOUSE_HASHING__MAX_CONCURRENCY, --workers) and need no patch.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

VARIANT = os.environ.get("BENCH_VARIANT", "")


def _apply(variant: str) -> None:
    if variant == "no-uvloop":
        from service import server

        server._install_uvloop = lambda: None  # type: ignore[attr-defined]
    elif variant == "stdlib-json":
        from service.api import responses

        class _Json:
            @staticmethod
            def dumps(obj: Any) -> bytes:
                return json.dumps(obj, separators=(",", ":")).encode()

        responses.orjson = _Json  # type: ignore[attr-defined,assignment]
    elif variant == "key-per-sign":
        from jose import jwk

        from service.crypto import jwt

        def sign(self: Any, claims: dict[str, Any]) -> str:
            pem = self._active.key.to_pem().decode("ascii")
            key = jwk.construct(pem, self.algorithm)
            signing_input = self._header + b"." + jwt._b64(jwt.orjson.dumps(claims))
            return (signing_input + b"." + jwt._b64(key.sign(signing_input))).decode("ascii")

        jwt.JwtCodec.sign = sign  # type: ignore[method-assign]
    elif variant == "argon2-no-nice":
        from service.crypto import hashing

        hashing._lower_priority = lambda: None  # type: ignore[attr-defined]
    elif variant == "profile":
        import cProfile

        from service import server

        original = server.serve_worker

        def profiled(settings: Any, reuse_port: bool = False) -> None:
            profile = cProfile.Profile(time.thread_time)  # CPU of the event-loop thread
            profile.enable()
            try:
                original(settings, reuse_port)
            finally:
                profile.disable()
                out = os.environ.get("BENCH_PROFILE_DIR", ".")
                profile.dump_stats(os.path.join(out, f"worker-{os.getpid()}.prof"))

        server.serve_worker = profiled  # type: ignore[assignment]
    elif variant:
        raise SystemExit(f"unknown BENCH_VARIANT {variant!r}")


_apply(VARIANT)

if __name__ == "__main__":
    from service.cli import main

    raise SystemExit(main())
