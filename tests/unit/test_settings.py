"""Settings: files then env vars, strict casting, one ConfigError listing every problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from service.settings import ConfigError, Settings, load_settings, replace, validate

from ..conftest import CONFIG_DIR


def problems_of(environ: dict[str, str], config_dir: Path = CONFIG_DIR) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ, config_dir)
    return caught.value.problems


def test_defaults_file_matches_the_dataclass_defaults():
    """config/defaults.toml holds exactly the dataclass defaults."""
    loaded = load_settings({"TOKENHOUSE_ENV": "defaults"}, CONFIG_DIR)

    assert dataclasses.replace(loaded, env="") == Settings()


def test_no_config_files_gives_the_dataclass_defaults(tmp_path):
    """Without config files and env vars, load_settings returns the built-in defaults."""
    loaded = load_settings({}, tmp_path)

    assert loaded == Settings()


def test_env_file_overrides_defaults():
    """config/test.toml values win over config/defaults.toml."""
    loaded = load_settings({"TOKENHOUSE_ENV": "test"}, CONFIG_DIR)

    assert (loaded.hashing.time_cost, loaded.hashing.memory_cost) == (1, 8)
    assert loaded.log.level == "debug"
    assert loaded.env == "test"


def test_env_vars_override_files_and_are_cast_to_the_field_type():
    """TOKENHOUSE_<SECTION>__<KEY> wins over files and is cast to int, float, bool or str."""
    environ = {
        "TOKENHOUSE_ENV": "test",
        "TOKENHOUSE_SERVER__PORT": "9090",
        "TOKENHOUSE_REDIS__SOCKET_TIMEOUT": "0.25",
        "TOKENHOUSE_REDIS__CLUSTER": "yes",
        "TOKENHOUSE_TOKENS__ISSUER": "https://auth.example.com",
        "TOKENHOUSE_HASHING__TIME_COST": "3",
        "tokenhouse_ignored": "1",
    }

    loaded = load_settings(environ, CONFIG_DIR)

    assert loaded.server.port == 9090
    assert loaded.redis.socket_timeout == 0.25
    assert loaded.redis.cluster is True
    assert loaded.tokens.issuer == "https://auth.example.com"
    assert loaded.hashing.time_cost == 3
    assert loaded.hashing.memory_cost == 8  # untouched file value survives


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("no", False), ("OFF", False)],
)
def test_bool_env_values(raw, expected):
    """Booleans accept 1/true/yes/on and 0/false/no/off, case-insensitively."""
    loaded = load_settings({"TOKENHOUSE_DEMO__ENABLED": raw}, CONFIG_DIR)

    assert loaded.demo.enabled is expected


def test_every_unknown_key_section_and_bad_type_is_listed_in_one_error():
    """Unknown sections, unknown keys and uncastable values are all reported together."""
    environ = {
        "TOKENHOUSE_ENV": "test",
        "TOKENHOUSE_NOPE__X": "1",
        "TOKENHOUSE_SERVER__NOPE": "1",
        "TOKENHOUSE_SERVER__PORT": "eighty",
        "TOKENHOUSE_DEMO__ENABLED": "maybe",
        "TOKENHOUSE_REDIS__SOCKET_TIMEOUT": "fast",
    }

    problems = problems_of(environ)

    assert len(problems) == 5
    assert any("TOKENHOUSE_NOPE__X" in p and "unknown section" in p for p in problems)
    assert any("unknown setting server.nope" in p for p in problems)
    assert any("TOKENHOUSE_SERVER__PORT" in p and "expected int" in p for p in problems)
    assert any("TOKENHOUSE_DEMO__ENABLED" in p and "expected bool" in p for p in problems)
    assert any("TOKENHOUSE_REDIS__SOCKET_TIMEOUT" in p and "expected float" in p for p in problems)


def test_toml_problems_are_listed_with_env_problems(tmp_path):
    """A TOML file's unknown section, unknown key and wrong type are reported with env problems."""
    (tmp_path / "defaults.toml").write_text(
        '[bogus]\nx = 1\n[server]\nport = 80.5\ncolour = "blue"\n', encoding="utf-8"
    )

    problems = problems_of({"TOKENHOUSE_TOKENS__ACCESS_TTL": "1.5"}, tmp_path)

    assert len(problems) == 4
    assert any("unknown section [bogus]" in p for p in problems)
    assert any("unknown setting server.colour" in p for p in problems)
    assert any("[server] port" in p and "expected int" in p for p in problems)
    assert any("TOKENHOUSE_TOKENS__ACCESS_TTL" in p and "expected int" in p for p in problems)


def test_unset_environment_is_safe_but_not_production():
    """TOKENHOUSE_ENV unset: defaults.toml alone: JSON logs, no demo data, not production."""
    loaded = load_settings({}, CONFIG_DIR)

    assert (loaded.env, loaded.production) == ("", False)
    assert (loaded.log.format, loaded.demo.enabled) == ("json", False)
    assert loaded == load_settings({"TOKENHOUSE_ENV": ""}, CONFIG_DIR)


def test_local_environment_is_opted_into():
    """TOKENHOUSE_ENV=local (what `make run` sets): console logs and demo data."""
    loaded = load_settings({"TOKENHOUSE_ENV": "local"}, CONFIG_DIR)

    assert (loaded.log.format, loaded.demo.enabled) == ("console", True)


@pytest.mark.parametrize("grace", ["0", "300"])
def test_refresh_grace_bounds_are_accepted(grace):
    """refresh_grace 0 (strict) and 300 (the cap) load."""
    loaded = load_settings({"TOKENHOUSE_ENV": "test", "TOKENHOUSE_TOKENS__REFRESH_GRACE": grace})

    assert loaded.tokens.refresh_grace == int(grace)


def test_unknown_environment_name_is_refused():
    """TOKENHOUSE_ENV naming a missing config file is a problem, not a silent default."""
    problems = problems_of({"TOKENHOUSE_ENV": "staging"})

    assert len(problems) == 1 and "TOKENHOUSE_ENV='staging'" in problems[0]


def test_config_error_message_lists_every_problem():
    """ConfigError's message has one line per problem."""
    error = ConfigError(["first", "second"])

    assert str(error) == "invalid configuration:\n  - first\n  - second"


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"TOKENHOUSE_TOKENS__ISSUER": "auth.example.com"}, "tokens.issuer must be an absolute"),
        ({"TOKENHOUSE_TOKENS__ISSUER": "/relative"}, "tokens.issuer must be an absolute"),
        ({"TOKENHOUSE_TOKENS__ISSUER": "ftp://x.example"}, "tokens.issuer must be an absolute"),
        ({"TOKENHOUSE_TOKENS__ISSUER": "https://x.example/?q=1"}, "tokens.issuer must be an abs"),
        ({"TOKENHOUSE_KEYS__ALGORITHM": "HS256"}, "keys.algorithm must be ES256 or RS256"),
        ({"TOKENHOUSE_KEYS__ALGORITHM": "none"}, "keys.algorithm must be ES256 or RS256"),
        ({"TOKENHOUSE_KEYS__ALGORITHM": "EdDSA"}, "keys.algorithm must be ES256 or RS256"),
        ({"TOKENHOUSE_REDIS__SOCKET_TIMEOUT": "0"}, "redis.socket_timeout must be between 0 and 5"),
        ({"TOKENHOUSE_REDIS__SOCKET_TIMEOUT": "6"}, "redis.socket_timeout must be between 0 and 5"),
        ({"TOKENHOUSE_REDIS__CONNECT_TIMEOUT": "-1"}, "redis.connect_timeout must be between 0"),
        ({"TOKENHOUSE_REDIS__CONNECT_TIMEOUT": "30"}, "redis.connect_timeout must be between 0"),
        (
            {
                "TOKENHOUSE_TOKENS__REFRESH_IDLE_TTL": "100",
                "TOKENHOUSE_TOKENS__REFRESH_MAX_TTL": "50",
            },
            "tokens.refresh_idle_ttl must not exceed tokens.refresh_max_ttl",
        ),
        ({"TOKENHOUSE_TOKENS__ACCESS_TTL": "0"}, "tokens.access_ttl must be positive"),
        ({"TOKENHOUSE_TOKENS__REFRESH_GRACE": "-1"}, "tokens.refresh_grace must be between 0"),
        ({"TOKENHOUSE_TOKENS__REFRESH_GRACE": "301"}, "and 300 seconds, got 301"),
        ({"TOKENHOUSE_TOKENS__LEEWAY": "-1"}, "tokens.leeway must be between 0 and 10"),
        ({"TOKENHOUSE_TOKENS__LEEWAY": "60"}, "tokens.leeway must be between 0 and 10"),
        ({"TOKENHOUSE_SERVER__BODY_LIMIT": "100"}, "server.body_limit must be between"),
        ({"TOKENHOUSE_REDIS__PREFIX": "{th}"}, "redis.prefix must be non-empty"),
        ({"TOKENHOUSE_ADMIN__PORT": "70000"}, "admin.port must be 1-65535, got 70000"),
        ({"TOKENHOUSE_ADMIN__PORT": "8080"}, "admin.port must differ from server.port"),
        ({"TOKENHOUSE_SECRETS__SERVER_KEY": "c2hvcnQ="}, "secrets.server_key must be base64 of"),
        ({"TOKENHOUSE_SECRETS__SERVER_KEY": "not base64 !"}, "secrets.server_key must be base64"),
        (
            {
                "TOKENHOUSE_SECRETS__SERVER_KEY": "A" * 44,
                "TOKENHOUSE_SECRETS__SERVER_KEY_FILE": "k",
            },
            "secrets.server_key and secrets.server_key_file are both set",
        ),
    ],
)
def test_validate_refuses_dangerous_settings(environ, fragment):
    """Each dangerous or impossible combination is refused with a clear line."""
    problems = problems_of({"TOKENHOUSE_ENV": "test", **environ})

    assert len(problems) == 1
    assert fragment in problems[0]


def test_production_requires_keys_dir_redis_url_and_https_issuer():
    """Production without keys.dir or redis.url, or with an http issuer, does not start."""
    problems = problems_of({"TOKENHOUSE_ENV": "production"})

    assert any(p.startswith("keys.dir is required in production") for p in problems)
    assert any(p.startswith("redis.url is required in production") for p in problems)
    assert "tokens.issuer must use https in production" in problems
    assert len(problems) == 3


def test_production_with_everything_set_loads(tmp_path):
    """A complete production configuration loads."""
    environ = {
        "TOKENHOUSE_ENV": "production",
        "TOKENHOUSE_KEYS__DIR": str(tmp_path),
        "TOKENHOUSE_REDIS__URL": "redis://redis.example:6379/0",
        "TOKENHOUSE_TOKENS__ISSUER": "https://auth.example.com",
    }

    loaded = load_settings(environ, CONFIG_DIR)

    assert loaded.production and loaded.server.host == "0.0.0.0"


def test_the_admin_listener_has_its_own_address():
    """TOKENHOUSE_ADMIN__HOST / __PORT set the admin listener; 127.0.0.1:8081 by default."""
    default = load_settings({"TOKENHOUSE_ENV": "test"}, CONFIG_DIR)
    moved = load_settings(
        {"TOKENHOUSE_ADMIN__HOST": "0.0.0.0", "TOKENHOUSE_ADMIN__PORT": "9091"}, CONFIG_DIR
    )

    assert (default.admin.host, default.admin.port) == ("127.0.0.1", 8081)
    assert (moved.admin.host, moved.admin.port) == ("0.0.0.0", 9091)


def test_the_server_key_comes_from_the_environment_and_is_never_shown():
    """A good key loads (standard or URL-safe base64); its text is in no repr or problem."""
    key = "q" * 43 + "="
    loaded = load_settings({"TOKENHOUSE_SECRETS__SERVER_KEY": key}, CONFIG_DIR)
    problems = problems_of({"TOKENHOUSE_SECRETS__SERVER_KEY": "sekrit-" + "z" * 10})

    assert loaded.secrets.server_key == key
    assert key not in repr(loaded)
    assert "sekrit" not in repr(problems)


def test_config_files_may_not_hold_secrets(tmp_path):
    """A [secrets] section in a config file is refused: secrets come from env vars or files."""
    (tmp_path / "defaults.toml").write_text('[secrets]\nserver_key = "' + "A" * 44 + '"\n')

    assert problems_of({}, tmp_path) == [
        "defaults.toml: [secrets] belongs in the environment or a file"
    ]


def test_validate_lists_several_problems_at_once():
    """validate() returns every problem, not only the first."""
    bad = replace(
        Settings(),
        tokens={"issuer": "nope", "refresh_idle_ttl": 10, "refresh_max_ttl": 5},
        redis={"socket_timeout": 9.0},
        keys={"algorithm": "HS512"},
    )

    problems = validate(bad)

    assert len(problems) == 4


def test_replace_changes_only_the_named_fields():
    """replace() copies settings with some section fields changed."""
    changed = replace(Settings(), tokens={"access_ttl": 5})

    assert changed.tokens.access_ttl == 5
    assert changed.tokens.issuer == Settings().tokens.issuer
    assert changed.server == Settings().server


def test_a_negative_busy_wait_is_refused():
    """throttle.busy_wait below 0 is a configuration error (0 refuses at once)."""
    problems = problems_of({"TOKENHOUSE_THROTTLE__BUSY_WAIT": "-1"})

    assert problems == ["throttle.busy_wait must be >= 0 (0 = refuse at once)"]


def test_grants_enabled_names_only_known_grant_types():
    """grants.enabled with an unknown grant type refuses to start, naming it."""
    problems = problems_of(
        {"TOKENHOUSE_ENV": "test", "TOKENHOUSE_GRANTS__ENABLED": "password implicit"}
    )

    assert len(problems) == 1 and "implicit" in problems[0]


def test_grants_enabled_can_leave_login_as_out():
    """TOKENHOUSE_GRANTS__ENABLED without authorization_code loads (login-as switched off)."""
    enabled = "client_credentials password token_exchange refresh_token"

    loaded = load_settings({"TOKENHOUSE_ENV": "test", "TOKENHOUSE_GRANTS__ENABLED": enabled})

    assert loaded.grants.enabled == enabled


def test_known_grant_types_are_the_grant_tables():
    """settings.GRANT_TYPES names exactly the grants of oauth/grants ALL_GRANTS."""
    from service.oauth.grants import ALL_GRANTS
    from service.settings import GRANT_TYPES

    assert sorted(GRANT_TYPES.split()) == sorted(g.grant_type for g in ALL_GRANTS)
