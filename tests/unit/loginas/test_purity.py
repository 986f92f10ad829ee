"""The login-as package stays pure: no HTTP or Redis library below the admin listener."""

from __future__ import annotations

import pytest

from ..test_layering import MODULES, top

LOGINAS = sorted(m for m in MODULES if m.startswith("service.loginas"))


def test_package_was_found():
    """The scan sees the login-as modules (guards the next test against an empty scan)."""
    assert {"service.loginas.pkce", "service.loginas.pages", "service.loginas.csrf"} <= set(LOGINAS)


@pytest.mark.parametrize("module", LOGINAS)
def test_loginas_never_imports_aiohttp_or_redis(module):
    """Each login-as module imports neither aiohttp nor redis."""
    assert not {top(m) for m in MODULES[module]} & {"aiohttp", "redis"}


@pytest.mark.parametrize("module", LOGINAS)
def test_loginas_never_imports_the_http_layer(module):
    """Login-as modules do not depend on service.api or the composition root."""
    assert not {m for m in MODULES[module] if m.startswith(("service.api", "service.app"))}
