"""The operator commands: read the arguments, call the application layer, print the answer.

Output is for people by default and JSON with ``--json``. No command decides a rule itself:
what may be created, what ends which sessions, is the application layer's business.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ..admin import Admin, generate_signing_key
from ..backend import open_admin
from ..models import ClientKind
from ..owners import Owner
from ..settings import Settings, replace


class CliError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=None if args.json else 2) if args.json else text)


def _read_secret(args: argparse.Namespace, what: str) -> str:
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(f"{what}: ")
    if not value:
        raise CliError(f"empty {what}")
    return value


# apps ---------------------------------------------------------------------------------------
async def apps_create(args: argparse.Namespace, settings: Settings) -> None:
    kind = ClientKind(args.kind)
    async with open_admin(settings) as admin:
        created = await admin.apps.create(
            kind, args.name, with_secret=args.secret, client_id=args.client_id
        )
    client, secret = created.client, created.secret
    data: dict[str, Any] = {"client_id": client.client_id, "kind": kind.value, "name": args.name}
    if secret:
        data["client_secret"] = secret
    text = f"created {kind.value} app {args.name!r}\n  client_id     {client.client_id}"
    if secret:
        text += f"\n  client_secret {secret}\n  (shown once: store it now)"
    _out(args, data, text)


async def apps_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        clients = await admin.apps.list()
    rows = [
        {"client_id": c.client_id, "kind": c.kind.value, "name": c.name, "has_secret": c.has_secret}
        for c in clients
    ]
    text = (
        "\n".join(
            f"{r['client_id']}  {r['kind']:<12} "
            f"{'secret' if r['has_secret'] else 'public':<7} {r['name']}"
            for r in rows
        )
        or "no apps"
    )
    _out(args, rows, text)


async def apps_rotate_secret(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        secret = await admin.apps.rotate_secret(args.client_id)
    _out(
        args,
        {"client_id": args.client_id, "client_secret": secret},
        f"new secret for {args.client_id}\n  client_secret {secret}\n  (shown once: store it now)",
    )


async def apps_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        await admin.apps.delete(args.client_id)
    _out(args, {"client_id": args.client_id, "deleted": True}, f"deleted {args.client_id}")


# users --------------------------------------------------------------------------------------
async def users_create(args: argparse.Namespace, settings: Settings) -> None:
    password = _read_secret(args, "password")
    async with open_admin(settings) as admin:
        user = await admin.users.create(args.email, password)
    _out(
        args,
        {"id": user.user_id, "email": user.email},
        f"created user {user.email}\n  id {user.user_id}",
    )


async def users_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        users = await admin.users.list()
    rows = [{"id": u.user_id, "email": u.email, "disabled": u.disabled} for u in users]
    text = "\n".join(
        f"{r['id']}  {r['email']}{'  (disabled)' if r['disabled'] else ''}" for r in rows
    )
    _out(args, rows, text or "no users")


async def users_set_password(args: argparse.Namespace, settings: Settings) -> None:
    password = _read_secret(args, "new password")
    async with open_admin(settings) as admin:
        done = await admin.users.set_password(args.email, password, logout=args.logout)
    user = done.user
    _out(
        args,
        {"id": user.user_id, "sessions_ended": done.sessions_ended},
        f"password set for {user.email}",
    )


async def users_disable(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        done = await admin.users.set_disabled(args.email, not args.enable)
    user, ended = done.user, done.sessions_ended
    state = "enabled" if args.enable else "disabled"
    _out(
        args,
        {"id": user.user_id, "state": state, "sessions_ended": ended},
        f"{state} {user.email} ({ended} sessions ended)",
    )


async def users_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        done = await admin.users.delete(args.email)
    user, ended = done.user, done.sessions_ended
    _out(
        args,
        {"id": user.user_id, "deleted": True, "sessions_ended": ended},
        f"deleted {user.email} ({ended} sessions ended)",
    )


# sessions -----------------------------------------------------------------------------------
async def _owner(args: argparse.Namespace, admin: Admin) -> Owner:
    if args.user:
        return await admin.sessions.user_owner(args.user)
    if args.client:
        return Owner.client(args.client)
    raise CliError("name --user EMAIL or --client CLIENT_ID")


async def sessions_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        sessions = await admin.sessions.list(await _owner(args, admin))
    rows = [
        {
            "session_id": str(s.ref),
            "client_id": s.client_id,
            "scope": s.scope,
            "absolute_expiry_ms": s.absolute_expiry_ms,
            "idle_ttl_ms": s.idle_ttl_ms,
        }
        for s in sessions
    ]
    text = (
        "\n".join(f"{r['session_id']}  client {r['client_id']}  scope {r['scope']}" for r in rows)
        or "no sessions"
    )
    _out(args, rows, text)


async def sessions_revoke(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        if args.session_id:
            ended = await admin.sessions.end(args.session_id)
        else:
            ended = await admin.sessions.end_all(await _owner(args, admin))
    _out(args, {"sessions_ended": ended}, f"{ended} session(s) ended")


# keys ---------------------------------------------------------------------------------------
async def keys_generate(args: argparse.Namespace, settings: Settings) -> None:
    directory = Path(args.dir or settings.keys.dir or "keys")
    key = generate_signing_key(directory, args.kid, args.algorithm)
    _out(args, {"kid": key.kid, "path": str(key.path)}, f"wrote {key.path} (kid {key.kid})")


# serve --------------------------------------------------------------------------------------
def serve(args: argparse.Namespace, settings: Settings) -> None:
    from ..server import run

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.workers:
        overrides["workers"] = args.workers
    run(replace(settings, server=overrides) if overrides else settings)
