"""The operator CLI: `tokenhouse serve | apps | users | sessions | keys`.

Every command reads the same configuration as `serve`. Output is for people by default and
JSON with `--json`. Without a Redis URL the commands use the embedded store.
"""

from __future__ import annotations

import asyncio
import os
import sys

from ..admin import AdminError
from ..crypto.jwt import SigningKeyError, assert_backend
from ..errors import StoreUnavailable
from ..settings import ConfigError, load_settings
from .output import CliError
from .parser import build_parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        assert_backend()
        result = args.func(args, settings)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except ConfigError as exc:
        print(f"tokenhouse: {exc}", file=sys.stderr)
        return 2
    except (CliError, AdminError, SigningKeyError) as exc:
        print(f"tokenhouse: {exc}", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:
        print(f"tokenhouse: Redis is unavailable ({exc})", file=sys.stderr)
        return 1
    return 0


__all__ = ["main", "build_parser"]
