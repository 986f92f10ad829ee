"""Layer rules, read from every service module's imports with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SERVICE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (relative imports resolved), at any depth of the file."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports_of(p) for p in sorted(SERVICE.rglob("*.py"))}


def top(name: str) -> str:
    return name.split(".")[0]


def service_imports(module: str) -> set[str]:
    return {m for m in MODULES[module] if top(m) == "service" and m in MODULES}


def test_modules_were_found():
    """The scan sees the service package (guards the other tests against an empty scan)."""
    assert {"service.errors", "service.oauth.token_endpoint", "service.crypto.jwt"} <= set(MODULES)
    assert "service.oauth.grants.base" in service_imports("service.oauth.grants.password")


@pytest.mark.parametrize("module", ["service.errors", "service.models", "service.settings"])
def test_core_modules_import_only_each_other(module):
    """errors, models and settings depend on no other service module."""
    allowed = {"service.errors", "service.models", "service.settings", "service"}

    assert service_imports(module) <= allowed


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("service.oauth")))
def test_oauth_never_imports_aiohttp_or_redis(module):
    """The OAuth layer knows neither HTTP nor Redis libraries."""
    assert not {top(m) for m in MODULES[module]} & {"aiohttp", "redis"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("service.api")))
def test_api_never_imports_redis(module):
    """The HTTP layer never talks to Redis directly."""
    assert "redis" not in {top(m) for m in MODULES[module]}


def test_only_crypto_jwt_imports_jose():
    """python-jose stays behind service/crypto/jwt.py."""
    users = {m for m, imported in MODULES.items() if "jose" in {top(i) for i in imported}}

    assert users == {"service.crypto.jwt"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("service.idp")))
def test_idp_is_an_outbound_adapter(module):
    """service/idp uses aiohttp's client only: never aiohttp.web, redis, the OAuth or HTTP layer."""
    forbidden = ("aiohttp.web", "redis", "service.oauth", "service.api", "service.store")

    assert not {m for m in MODULES[module] if m.startswith(forbidden)}
