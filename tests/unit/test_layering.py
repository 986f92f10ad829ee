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


@pytest.mark.parametrize(
    "module", ["service.errors", "service.models", "service.settings", "service.validation"]
)
def test_core_modules_import_only_each_other(module):
    """errors, models, settings and its validation depend on no other service module."""
    allowed = {"service.errors", "service.models", "service.settings", "service.validation"}
    allowed.add("service")

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


# The layers, lowest first: a module may import only from its own layer or lower ones.
LAYERS = (
    (
        "service.errors",
        "service.models",
        "service.settings",
        "service.validation",
        "service.owners",
        "service.context",
    ),
    (
        "service.crypto",
        "service.store",
        "service.idp",
        "service.log",
        "service.embedded",
        "service.throttling",
    ),
    ("service.oauth", "service.admin", "service.loginas"),
    ("service.api", "service.metrics"),
    ("service.app", "service.backend", "service.demo", "service.server", "service.cli"),
    ("service.__main__",),
)
# What the OAuth and application layers may see of the store: the contract, never a backend.
STORE_CONTRACT = (
    "service.store.protocols",
    "service.store.records",
    "service.store.loginas_protocols",
)
COMPOSITION_ROOTS = {"service.app", "service.backend"}
MAX_LINES = 320  # house style: modules under ~300 lines; this is the hard stop


def layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def store_violations(module: str, imported: set[str]) -> set[str]:
    """The store modules ``module`` imports beyond the contract (OAuth and admin layers)."""
    if not module.startswith(("service.oauth", "service.admin")):
        return set()
    return {
        m
        for m in imported
        if (m == "service.store" or m.startswith("service.store."))
        and not any(m == c or m.startswith(c + ".") for c in STORE_CONTRACT)
    }


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "service"))
def test_modules_import_only_their_own_layer_or_lower(module):
    """errors/models/settings/owners/context -> crypto/store/log -> oauth/admin -> api -> app/cli."""
    higher = {m for m in service_imports(module) if m != "service" and layer(m) > layer(module)}

    assert higher == set()


def test_oauth_and_admin_are_siblings_that_never_import_each_other():
    """The OAuth layer and the application layer do not depend on one another."""
    crossing = {
        (m, i)
        for m in MODULES
        for i in service_imports(m)
        if (m.startswith("service.oauth") and i.startswith("service.admin"))
        or (m.startswith("service.admin") and i.startswith("service.oauth"))
    }

    assert crossing == set()


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith(("service.oauth", "service.admin")))
)
def test_oauth_and_admin_see_only_the_store_protocols_and_records(module):
    """service/oauth and service/admin import from service/store nothing but the contract."""
    assert store_violations(module, MODULES[module]) == set()


def test_the_store_rule_catches_a_backend_import_in_a_grant():
    """The rule above fails for a grant that imports the Redis backend (guards the rule)."""
    imported = MODULES["service.oauth.grants.password"] | {"service.store.redis"}

    assert store_violations("service.oauth.grants.password", imported) == {"service.store.redis"}
    assert store_violations("service.oauth.grants.password", {"service.store.keys"}) == {
        "service.store.keys"
    }


def test_only_composition_roots_name_the_redis_backend():
    """Outside service/store, only app.py and backend.py import service.store.redis."""
    users = {
        m
        for m, imported in MODULES.items()
        if not m.startswith("service.store")
        and any(
            i == "service.store.redis" or i.startswith("service.store.redis.") for i in imported
        )
    }

    assert users == COMPOSITION_ROOTS


def test_only_the_redis_backend_imports_the_redis_library():
    """redis-py is imported in service/store/redis/ only."""
    users = {m for m, imported in MODULES.items() if "redis" in {top(i) for i in imported}}

    assert users and all(m.startswith("service.store.redis.") for m in users)


def test_store_contract_knows_no_redis():
    """The Protocols and records import neither redis nor a Redis module of the service."""
    for module in STORE_CONTRACT:
        assert "redis" not in {top(m) for m in MODULES[module]}
        assert not {m for m in service_imports(module) if m.startswith("service.store.redis")}


def test_cli_reaches_the_store_only_through_the_application_layer():
    """The CLI parses and prints: it imports no store module, only admin and backend."""
    imported = {i for m in MODULES if m.startswith("service.cli") for i in service_imports(m)}

    assert not {i for i in imported if i.startswith("service.store")}
    assert {"service.admin", "service.backend"} <= imported


@pytest.mark.parametrize(
    "path", sorted(SERVICE.rglob("*.py")), ids=lambda p: str(p.relative_to(SERVICE))
)
def test_no_module_is_over_about_300_lines(path):
    """House style: every module of service/ stays within ~300 lines."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_owner_pattern_is_written_once():
    """The text form of an owner (``[uc]-<id>``) and of an owner's id are spelled in
    service/owners.py only."""
    for pattern in ("[uc]-", "[A-Za-z0-9-]{1,64}"):
        spelled = {
            module_name(p)
            for p in SERVICE.rglob("*.py")
            if pattern in p.read_text(encoding="utf-8")
        }

        assert spelled == {"service.owners"}, pattern


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("service.idp")))
def test_idp_is_an_outbound_adapter(module):
    """service/idp uses aiohttp's client only: never aiohttp.web, redis, the OAuth or HTTP layer."""
    forbidden = ("aiohttp.web", "redis", "service.oauth", "service.api", "service.store")

    assert not {m for m in MODULES[module] if m.startswith(forbidden)}
