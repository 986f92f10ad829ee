"""The `tokenhouse operators` commands: the people who may log in as a user.

Each reads its arguments, calls the application layer and prints the answer (JSON with
``--json``); passwords come from stdin (``--password-stdin``) or a prompt, never an argument.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..backend import open_admin
from ..models import Operator
from ..settings import Settings
from .output import out, read_secret, timestamp


def _row(operator: Operator) -> dict[str, Any]:
    return {
        "id": operator.operator_id,
        "email": operator.email,
        "disabled": operator.disabled,
        "created": timestamp(operator.created),
    }


async def operators_create(args: argparse.Namespace, settings: Settings) -> None:
    password = read_secret(args, "password")
    async with open_admin(settings) as admin:
        operator = await admin.operators.create(args.email, password)
    out(
        args,
        _row(operator),
        f"created operator {operator.email}\n  id {operator.operator_id}",
    )


async def operators_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        operators = await admin.operators.list()
    rows = [_row(o) for o in operators]
    text = "\n".join(
        f"{r['id']}  {r['email']}{'  (disabled)' if r['disabled'] else ''}" for r in rows
    )
    out(args, rows, text or "no operators")


async def operators_disable(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        operator = await admin.operators.set_disabled(args.operator_id, True)
    out(args, _row(operator), f"disabled {operator.email} (signed out everywhere)")


async def operators_enable(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        operator = await admin.operators.set_disabled(args.operator_id, False)
    out(args, _row(operator), f"enabled {operator.email}")


async def operators_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        operator = await admin.operators.delete(args.operator_id)
    out(
        args,
        {"id": operator.operator_id, "deleted": True},
        f"deleted operator {operator.email}",
    )


def add_commands(sub: Any, add: Any) -> None:
    """`operators create | list | disable | enable | delete` under the CLI's subparsers."""
    group = sub.add_parser(
        "operators", help="operators: the people who may log in as a user"
    ).add_subparsers(dest="sub", required=True)
    p = add(group, "create", operators_create, "create an operator (argon2id password)")
    p.add_argument("--email", required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add(group, "list", operators_list, "list operators")
    for name, func, help_ in (
        ("disable", operators_disable, "disable an operator and end their sign-ins"),
        ("enable", operators_enable, "enable a disabled operator again"),
        ("delete", operators_delete, "delete an operator and end their sign-ins"),
    ):
        add(group, name, func, help_).add_argument("operator_id", metavar="ID")
