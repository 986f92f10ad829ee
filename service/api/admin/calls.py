"""What one admin call is about: which admin token acted on what, for its log event."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass(slots=True)
class AdminCall:
    started: float  # perf_counter at the start of the request
    admin: str | None = None  # the admin token's id, once it authenticated
    target: str | None = None  # "<kind>:<id>", e.g. "user:<user id>", once known


CALL = web.RequestKey("admin_call", AdminCall)


def note_target(request: web.Request, kind: str, ident: str | None = None) -> None:
    """Say what the call acts on (``user``, ``app``, ``session``, ``idp``, ...)."""
    request[CALL].target = kind if ident is None else f"{kind}:{ident}"
