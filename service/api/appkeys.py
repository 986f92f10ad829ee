"""Typed application keys."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..admin import Admin
from ..idp.verifier import IdpVerifier
from ..oauth.services import Services
from ..settings import Settings
from ..store.protocols import Health

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
HEALTH = web.AppKey("health", Health)
STATE = web.AppKey("state", dict[str, Any])
ADMIN = web.AppKey("admin", Admin)  # the operations the admin listener serves
# Set while the app runs (its outbound client session lives in cleanup_ctx).
IDP_VERIFIER = web.AppKey("idp_verifier", IdpVerifier)
