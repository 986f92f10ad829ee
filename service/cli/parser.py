"""The command line of `tokenhouse`: each command's arguments, mapped to the function it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..models import ClientKind
from .commands import (
    admin_tokens_create,
    admin_tokens_list,
    admin_tokens_revoke,
    apps_create,
    apps_delete,
    apps_list,
    apps_rotate_secret,
    apps_update,
    keys_generate,
    serve,
    sessions_list,
    sessions_revoke,
    users_create,
    users_delete,
    users_disable,
    users_list,
    users_set_password,
)
from .idps import add_idps_commands
from .operators import add_commands as add_operator_commands

DESCRIPTION = (
    "The operator CLI: `tokenhouse serve | apps | users | sessions | idps | admin-tokens | keys | "
    "operators`."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenhouse", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(group: Any, name: str, func: Callable[..., Any], help_: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, help=help_)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    p = add(sub, "serve", serve, "run the HTTP service")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="processes sharing the port (SO_REUSEPORT)")

    apps = sub.add_parser("apps", help="applications (OAuth clients)").add_subparsers(
        dest="sub", required=True
    )
    p = add(apps, "create", apps_create, "create an app")
    p.add_argument("--kind", choices=[k.value for k in ClientKind], required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--secret", action="store_true", help="give a marketplace app a secret")
    p.add_argument(
        "--client-id",
        help="use this client id (1-64 letters, digits, hyphens; never a deleted app's) "
        "instead of a new UUID",
    )
    add(apps, "list", apps_list, "list apps")
    p = add(apps, "update", apps_update, "rename an app or replace its redirect URIs")
    p.add_argument("client_id")
    p.add_argument("--name")
    p.add_argument(
        "--redirect-uri",
        action="append",
        metavar="URL",
        help="where log in as a user may return (exact; repeat for several; replaces the list)",
    )
    p.add_argument("--clear-redirect-uris", action="store_true", help="remove every redirect URI")
    add(apps, "rotate-secret", apps_rotate_secret, "replace an app's secret").add_argument(
        "client_id"
    )
    add(apps, "delete", apps_delete, "delete an app and end its integration sessions").add_argument(
        "client_id"
    )

    users = sub.add_parser("users", help="marketplace users").add_subparsers(
        dest="sub", required=True
    )
    for name, func, help_ in (
        ("create", users_create, "create a user"),
        ("set-password", users_set_password, "set a user's password"),
    ):
        p = add(users, name, func, help_)
        p.add_argument("--email", required=True)
        p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if name == "set-password":
            p.add_argument("--logout", action="store_true", help="also end the user's sessions")
        else:
            p.add_argument(
                "--email-verified", action="store_true", help="the e-mail is known to be the user's"
            )
    add(users, "list", users_list, "list users")
    p = add(users, "disable", users_disable, "disable a user and end their sessions")
    p.add_argument("--email", required=True)
    p.add_argument("--enable", action="store_true", help="enable again instead")
    add(users, "delete", users_delete, "delete a user and their sessions").add_argument(
        "--email", required=True
    )

    sessions = sub.add_parser("sessions", help="sessions").add_subparsers(dest="sub", required=True)
    for name, func, help_ in (
        ("list", sessions_list, "list a user's or client's sessions"),
        ("revoke", sessions_revoke, "end one session, or all of a user's"),
    ):
        p = add(sessions, name, func, help_)
        p.add_argument("--user", metavar="EMAIL")
        p.add_argument("--client", metavar="CLIENT_ID")
        if name == "revoke":
            p.add_argument("session_id", nargs="?", help="u-<user id>.<id> or c-<client id>.<id>")

    add_idps_commands(sub, add)

    tokens = sub.add_parser("admin-tokens", help="tokens of the admin API").add_subparsers(
        dest="sub", required=True
    )
    p = add(tokens, "create", admin_tokens_create, "create an admin token (shown once)")
    p.add_argument("--name", required=True, help="whose token it is, e.g. marketplace-backend")
    add(tokens, "list", admin_tokens_list, "list admin tokens (never the tokens themselves)")
    add(tokens, "revoke", admin_tokens_revoke, "revoke an admin token").add_argument("id")

    add_operator_commands(sub, add)

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="sub", required=True)
    p = add(keys, "generate", keys_generate, "write a new PEM private key")
    p.add_argument("--dir")
    p.add_argument("--kid")
    p.add_argument("--algorithm", choices=["ES256", "RS256"], default="ES256")
    return parser
