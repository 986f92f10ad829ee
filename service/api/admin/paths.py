"""Ids in admin paths: one that is not of its form names nothing, so it answers 404 unread."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from ...errors import ErrorCode, OAuthError
from ...owners import Owner

# The user ids the service makes: lower-case UUIDs, version 4.
USER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
IDP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def not_found(what: str) -> OAuthError:
    return OAuthError(ErrorCode.NOT_FOUND, f"No such {what}.")


def path_id(request: web.Request, name: str, valid: Callable[[str], bool], what: str) -> str:
    """The path parameter ``name`` when ``valid`` accepts it; 404 otherwise."""
    value = request.match_info[name]
    if not valid(value):
        raise not_found(what)
    return value


def user_id(request: web.Request) -> str:
    return path_id(request, "id", lambda v: USER_ID.fullmatch(v) is not None, "user")


def client_id(request: web.Request) -> str:
    return path_id(request, "client_id", Owner.valid_id, "app")


def idp_id(request: web.Request, name: str = "id") -> str:
    return path_id(request, name, lambda v: IDP_ID.fullmatch(v) is not None, "identity provider")
