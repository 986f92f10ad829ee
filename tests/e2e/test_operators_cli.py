"""`tokenhouse operators`: the accounts of the people who log in as a user, from the CLI."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from ..service_proc import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def new_email() -> str:
    return f"Op-{uuid.uuid4().hex[:10]}@Example.com"


def run_failing(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_create_list_disable_enable_delete(cli):
    """The operator's life: created from stdin, listed, disabled, enabled, deleted."""
    email = new_email()

    created = cli("operators", "create", "--email", email, "--password-stdin", stdin="pw of op 1\n")
    listed = cli("operators", "list")
    disabled = cli("operators", "disable", created["id"])
    enabled = cli("operators", "enable", created["id"])
    deleted = cli("operators", "delete", created["id"])
    after = cli("operators", "list")

    assert set(created) == {"id", "email", "disabled", "created"}
    assert (created["email"], created["disabled"]) == (email.lower(), False)
    assert created in listed
    assert (disabled["disabled"], enabled["disabled"]) == (True, False)
    assert deleted == {"id": created["id"], "deleted": True}
    assert created["id"] not in {row["id"] for row in after}


def test_operators_are_not_users(cli):
    """An operator does not appear among marketplace users, nor a user among operators."""
    email = new_email()
    operator = cli("operators", "create", "--email", email, "--password-stdin", stdin="pw op 2 x\n")

    users = cli("users", "list")

    assert email.lower() not in {u["email"] for u in users}
    assert operator["id"] not in {u["id"] for u in users}


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("create", "--email", "not-an-email", "--password-stdin"), "long enough\n", "e-mail"),
        (("create", "--email", "ok@example.com", "--password-stdin"), "short\n", "8 to 1024"),
        (("disable", "no-such-operator"), "", "no such operator"),
        (("delete", str(uuid.uuid4())), "", "no such operator"),
    ],
    ids=["bad-email", "short-password", "disable-unknown", "delete-unknown"],
)
def test_refusals_exit_1_with_a_message(e2e_env, args, stdin, message):
    """A malformed e-mail, a short password or an unknown id: exit status 1 and the reason."""
    proc = run_failing(e2e_env, "operators", *args, stdin=stdin)

    assert proc.returncode == 1 and proc.stdout == ""
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_an_email_takes_one_operator(cli, e2e_env):
    """A second operator with the same e-mail: exit 1, conflict named."""
    email = new_email()
    cli("operators", "create", "--email", email, "--password-stdin", stdin="pw of op 3\n")

    proc = run_failing(
        e2e_env, "operators", "create", "--email", email, "--password-stdin", stdin="pw of op 4\n"
    )

    assert proc.returncode == 1 and "exists" in proc.stderr
