"""Operator commands (same configuration as serve) acting on the running service."""

from __future__ import annotations

import time
import uuid

import pytest

from .api_client import INVALID_CLIENT, INVALID_GRANT
from .conftest import CLIENT_CACHE_TTL

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def new_user(cli, password: str = "e2e password") -> tuple[str, str, str]:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    created = cli("users", "create", "--email", email, "--password-stdin", stdin=password + "\n")
    return created["id"], email, password


def test_apps_rotate_secret_old_secret_fails_after_cache_ttl(api, cli):
    """After rotate-secret the new secret works and the old one fails once the cache expires."""
    integ = cli("apps", "create", "--kind", "integration", "--name", "backend")
    assert api.integration(integ["client_id"], integ["client_secret"])[0] == 200

    rotated = cli("apps", "rotate-secret", integ["client_id"])
    time.sleep(CLIENT_CACHE_TTL + 0.2)

    assert rotated["client_id"] == integ["client_id"]
    assert rotated["client_secret"] != integ["client_secret"]
    assert api.integration(integ["client_id"], integ["client_secret"]) == (401, INVALID_CLIENT)
    assert api.integration(integ["client_id"], rotated["client_secret"])[0] == 200


def test_apps_delete_ends_client_and_its_sessions(api, cli):
    """apps delete: the client id stops working and its integration sessions end."""
    integ = cli("apps", "create", "--kind", "integration", "--name", "backend")
    _, tokens = api.integration(integ["client_id"], integ["client_secret"])

    deleted = cli("apps", "delete", integ["client_id"])
    time.sleep(CLIENT_CACHE_TTL + 0.2)

    assert deleted == {"client_id": integ["client_id"], "deleted": True}
    assert api.refresh(integ["client_id"], tokens["refresh_token"])[0] == 401
    assert api.integration(integ["client_id"], integ["client_secret"]) == (401, INVALID_CLIENT)


def test_users_disable_ends_sessions_and_logins(api, cli):
    """users disable ends the user's sessions at once and refuses new logins."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "spa")
    user_id, email, password = new_user(cli)
    _, login = api.login(app["client_id"], email, password)

    disabled = cli("users", "disable", "--email", email)

    assert disabled == {"id": user_id, "state": "disabled", "sessions_ended": 1}
    assert api.refresh(app["client_id"], login["refresh_token"]) == (401, INVALID_GRANT)
    assert api.login(app["client_id"], email, password)[0] == 401
    listed = cli("users", "list")
    assert {"id": user_id, "email": email, "disabled": True} in listed


def test_sessions_list_and_revoke_one_then_all(api, cli):
    """sessions list shows each login; revoke ends one by id, then --user ends the rest."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "spa")
    user_id, email, password = new_user(cli)
    logins = [api.login(app["client_id"], email, password)[1] for _ in range(3)]
    refs = {t["refresh_token"].rsplit(".", 1)[0]: t for t in logins}

    listed = cli("sessions", "list", "--user", email)
    first_ref = logins[0]["refresh_token"].rsplit(".", 1)[0]
    one = cli("sessions", "revoke", first_ref)
    after_one = [api.refresh(app["client_id"], t["refresh_token"])[0] for t in logins]
    rest = cli("sessions", "revoke", "--user", email)
    after_all = [api.refresh(app["client_id"], t["refresh_token"])[0] for t in logins[1:]]

    assert {row["session_id"] for row in listed} == set(refs)
    assert all(row["client_id"] == app["client_id"] and row["scope"] == "user" for row in listed)
    assert all(ref.startswith(f"u-{user_id}.") for ref in refs)
    assert one == {"sessions_ended": 1}
    assert after_one == [401, 200, 200]
    assert rest == {"sessions_ended": 2}
    assert after_all == [401, 401]
    assert cli("sessions", "list", "--user", email) == []
