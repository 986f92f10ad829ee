"""The admin API's own OpenAPI document, served to holders of an admin token."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from ..responses import NO_STORE
from .calls import note_target


async def admin_openapi(request: web.Request) -> web.Response:
    """service/api/admin_openapi.yaml, as packaged."""
    note_target(request, "openapi")
    document = resources.files("service.api").joinpath("admin_openapi.yaml").read_bytes()
    return web.Response(body=document, content_type="application/yaml", headers=NO_STORE)
