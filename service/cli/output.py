"""What every command shares: its error type, its output (people or ``--json``), secret input."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import Any


class CliError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=None if args.json else 2) if args.json else text)


def read_secret(args: argparse.Namespace, what: str) -> str:
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(f"{what}: ")
    if not value:
        raise CliError(f"empty {what}")
    return value


def timestamp(seconds: int) -> str:
    """RFC 3339 in UTC to the second, as the admin API prints times."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(seconds, 0)))
