"""Start-up refuses a dangerous configuration with a clear message (settings, app and CLI)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import fakeredis
import pytest

import service.crypto.jwt as jwt_module
from service.app import create_app
from service.crypto.jwt import SigningKeyError, generate_pem
from service.settings import ConfigError, load_settings

from ..conftest import CONFIG_DIR, make_settings
from ..redis_proc import free_port

REPO = CONFIG_DIR.parent
PRODUCTION = {
    "TOKENHOUSE_ENV": "production",
    "TOKENHOUSE_REDIS__URL": "redis://redis.internal:6379/0",
    "TOKENHOUSE_TOKENS__ISSUER": "https://auth.example.com",
}
NO_KEY = "keys.dir is required in production (TOKENHOUSE_KEYS__DIR): no signing key"
SYMMETRIC = "is not a PEM private key (symmetric keys are refused)"
BACKEND = "python-jose is not using the cryptography backend; install python-jose[cryptography]"


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ, CONFIG_DIR)
    return caught.value.problems


def test_production_without_a_signing_key_is_refused():
    """Production without keys.dir does not load, and says why."""
    assert problems(PRODUCTION) == [NO_KEY]


def test_production_with_a_key_dir_loads(tmp_path):
    """Control: the same production settings with keys.dir load."""
    settings = load_settings({**PRODUCTION, "TOKENHOUSE_KEYS__DIR": str(tmp_path)}, CONFIG_DIR)
    assert settings.production


@pytest.mark.parametrize("name", ["SOCKET_TIMEOUT", "CONNECT_TIMEOUT"])
@pytest.mark.parametrize("value", ["0", "-1", "0.0"])
def test_redis_without_timeouts_is_refused(name, value):
    """A Redis socket or connect timeout of 0 (no timeout) or less is refused."""
    found = problems({"TOKENHOUSE_ENV": "test", f"TOKENHOUSE_REDIS__{name}": value})
    assert found == [f"redis.{name.lower()} must be between 0 and 5 seconds, got {float(value)}"]


@pytest.mark.parametrize(
    "issuer", ["tokenhouse", "auth.example.com", "/v1/auth", "https://", "ftp://auth.example.com"]
)
def test_non_absolute_issuer_is_refused(issuer):
    """An issuer that is not an absolute http(s) URL is refused."""
    found = problems({"TOKENHOUSE_ENV": "test", "TOKENHOUSE_TOKENS__ISSUER": issuer})
    assert found == [f"tokens.issuer must be an absolute http(s) URL, got {issuer!r}"]


@pytest.mark.parametrize("algorithm", ["HS256", "none", "ES256K"])
def test_symmetric_or_unknown_algorithm_is_refused(algorithm):
    """keys.algorithm must be an asymmetric algorithm we support."""
    found = problems({"TOKENHOUSE_ENV": "test", "TOKENHOUSE_KEYS__ALGORITHM": algorithm})
    assert found == [f"keys.algorithm must be ES256 or RS256 (asymmetric), got {algorithm!r}"]


def hmac_key_dir(base: Path) -> Path:
    """A keys.dir whose only *.pem holds an HMAC secret (what an HS256 setup would mount)."""
    directory = base / "keys"
    directory.mkdir()
    (directory / "hmac.pem").write_text(secrets.token_urlsafe(32), encoding="ascii")
    return directory


def short_key_file(base: Path) -> Path:
    """A server key file holding 16 bytes: a key given, but too weak to use."""
    path = base / "server.key"
    path.write_text(base64.b64encode(secrets.token_bytes(16)).decode(), encoding="ascii")
    return path


def test_symmetric_key_in_key_dir_is_refused_by_create_app(tmp_path):
    """create_app refuses a keys.dir holding an HMAC secret instead of a private key."""
    settings = make_settings(keys={"dir": str(hmac_key_dir(tmp_path))})
    with pytest.raises(SigningKeyError, match=r"symmetric keys are refused"):
        create_app(settings, redis=fakeredis.aioredis.FakeRedis())


def test_public_key_in_key_dir_is_refused_by_create_app(tmp_path):
    """A public key alone cannot sign: refused at start-up."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(generate_pem("ES256"), None)
    (tmp_path / "pub.pem").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = make_settings(keys={"dir": str(tmp_path)})
    with pytest.raises(SigningKeyError, match=r"symmetric keys are refused"):
        create_app(settings, redis=fakeredis.aioredis.FakeRedis())


def test_non_cryptography_jose_backend_is_refused_by_create_app(monkeypatch, signing_key):
    """create_app refuses python-jose's pure-python ECDSA backend."""

    class ECDSAECKey:  # the name python-jose gives its pure-python backend's key class
        pass

    monkeypatch.setattr(jwt_module, "ECKey", ECDSAECKey)
    with pytest.raises(SigningKeyError) as caught:
        create_app(make_settings(), redis=fakeredis.aioredis.FakeRedis(), signing=signing_key)
    assert str(caught.value) == BACKEND


# The CLI: `python -m service serve` exits non-zero with the message and no traceback -------

PATCH_BACKEND = (
    "import sys, service.crypto.jwt as j\n"
    "j.ECKey = type('ECDSAECKey', (), {})\n"
    "from service.cli import main\n"
    "sys.exit(main(['serve']))\n"
)


def cli_cases(tmp: Path) -> dict[str, tuple[list[str], dict[str, str], int, str]]:
    """name -> (argv, extra environment, exit status, message expected on stderr)."""
    serve = [sys.executable, "-m", "service", "serve"]
    return {
        "production-no-key": (serve, PRODUCTION, 2, NO_KEY),
        "socket-timeout-0": (
            serve,
            {"TOKENHOUSE_REDIS__SOCKET_TIMEOUT": "0"},
            2,
            "redis.socket_timeout must be between 0 and 5 seconds, got 0.0",
        ),
        "relative-issuer": (
            serve,
            {"TOKENHOUSE_TOKENS__ISSUER": "auth.example.com"},
            2,
            "tokens.issuer must be an absolute http(s) URL, got 'auth.example.com'",
        ),
        "refresh-grace-over-300": (
            serve,
            {"TOKENHOUSE_TOKENS__REFRESH_GRACE": "86400"},
            2,
            "tokens.refresh_grace must be between 0 (strict single use) and 300 seconds, got 86400",
        ),
        "leeway-over-10": (
            serve,
            {"TOKENHOUSE_TOKENS__LEEWAY": "60"},
            2,
            "tokens.leeway must be between 0 and 10 seconds (our own clocks), got 60",
        ),
        "hs256": (
            serve,
            {"TOKENHOUSE_KEYS__ALGORITHM": "HS256"},
            2,
            "keys.algorithm must be ES256 or RS256 (asymmetric), got 'HS256'",
        ),
        "symmetric-key": (
            serve,
            {"TOKENHOUSE_KEYS__DIR": str(hmac_key_dir(tmp))},
            1,
            f"key 'hmac' {SYMMETRIC}",
        ),
        "jose-backend": ([sys.executable, "-c", PATCH_BACKEND], {}, 1, BACKEND),
        "short-server-key": (
            serve,
            {"TOKENHOUSE_SECRETS__SERVER_KEY_FILE": str(short_key_file(tmp))},
            2,
            "secrets.server_key_file must hold base64 of at least 32 random bytes",
        ),
    }


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every refusal case of the CLI at once (each process must exit by itself)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TOKENHOUSE_")}
    base.update(
        TOKENHOUSE_ENV="test",
        TOKENHOUSE_CONFIG_DIR=str(CONFIG_DIR),
        # An unused loopback port: never the machine's Redis, and never an embedded one.
        TOKENHOUSE_REDIS__URL=f"redis://127.0.0.1:{free_port()}/0",
        TOKENHOUSE_SERVER__PORT=str(free_port()),
    )
    cases = cli_cases(tmp_path_factory.mktemp("cli"))
    procs = {
        name: subprocess.Popen(
            argv,
            cwd=REPO,
            env={**base, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (argv, extra, _, _) in cases.items()
    }
    results: dict[str, Any] = {}
    for name, proc in procs.items():
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        results[name] = (proc.returncode, err, cases[name][2], cases[name][3])
    return results


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "production-no-key",
        "socket-timeout-0",
        "relative-issuer",
        "refresh-grace-over-300",
        "leeway-over-10",
        "hs256",
        "symmetric-key",
        "jose-backend",
    ],
)
def test_cli_serve_refuses_dangerous_configuration(cli_results, name):
    """`python -m service serve` exits non-zero, names the problem on stderr, prints no traceback."""
    returncode, stderr, expected_code, message = cli_results[name]
    assert returncode == expected_code, stderr
    assert message in stderr
    assert stderr.startswith("tokenhouse: ")
    assert "Traceback" not in stderr
