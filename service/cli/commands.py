"""The operator commands: read the arguments, call the application layer, print the answer.

Output is for people by default and JSON with ``--json``. No command decides a rule itself:
what may be created, what ends which sessions, is the application layer's business.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..admin import Admin, generate_signing_key
from ..backend import open_admin
from ..models import Client, ClientKind
from ..owners import Owner
from ..settings import Settings, replace
from .output import CliError, out, read_secret, timestamp


# apps ---------------------------------------------------------------------------------------
async def apps_create(args: argparse.Namespace, settings: Settings) -> None:
    kind = ClientKind(args.kind)
    async with open_admin(settings) as admin:
        created = await admin.apps.create(
            kind, args.name, with_secret=args.secret or None, client_id=args.client_id
        )
    client, secret = created.client, created.secret
    data: dict[str, Any] = {"client_id": client.client_id, "kind": kind.value, "name": args.name}
    if secret:
        data["client_secret"] = secret
    text = f"created {kind.value} app {args.name!r}\n  client_id     {client.client_id}"
    if secret:
        text += f"\n  client_secret {secret}\n  (shown once: store it now)"
    out(args, data, text)


def _app_row(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "kind": client.kind.value,
        "name": client.name,
        "has_secret": client.has_secret,
        "redirect_uris": list(client.redirect_uris),
    }


async def apps_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        clients = await admin.apps.list()
    rows = [_app_row(c) for c in clients]
    text = (
        "\n".join(
            f"{r['client_id']}  {r['kind']:<12} "
            f"{'secret' if r['has_secret'] else 'public':<7} {r['name']}"
            for r in rows
        )
        or "no apps"
    )
    out(args, rows, text)


async def apps_update(args: argparse.Namespace, settings: Settings) -> None:
    if args.redirect_uri and args.clear_redirect_uris:
        raise CliError("give --redirect-uri or --clear-redirect-uris, not both")
    uris = [] if args.clear_redirect_uris else args.redirect_uri
    if args.name is None and uris is None:
        raise CliError("nothing to change: give --name, --redirect-uri or --clear-redirect-uris")
    async with open_admin(settings) as admin:
        client = await admin.apps.update(args.client_id, name=args.name, redirect_uris=uris)
    listed = "\n".join(f"  redirect_uri  {u}" for u in client.redirect_uris)
    out(args, _app_row(client), f"updated {client.client_id} {client.name!r}\n{listed}".rstrip())


async def apps_rotate_secret(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        secret = await admin.apps.rotate_secret(args.client_id)
    out(
        args,
        {"client_id": args.client_id, "client_secret": secret},
        f"new secret for {args.client_id}\n  client_secret {secret}\n  (shown once: store it now)",
    )


async def apps_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        await admin.apps.delete(args.client_id)
    out(args, {"client_id": args.client_id, "deleted": True}, f"deleted {args.client_id}")


# users --------------------------------------------------------------------------------------
async def users_create(args: argparse.Namespace, settings: Settings) -> None:
    password = read_secret(args, "password")
    async with open_admin(settings) as admin:
        user = await admin.users.create(args.email, password, email_verified=args.email_verified)
    out(
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
    out(args, rows, text or "no users")


async def users_set_password(args: argparse.Namespace, settings: Settings) -> None:
    password = read_secret(args, "new password")
    async with open_admin(settings) as admin:
        done = await admin.users.set_password(args.email, password, logout=args.logout)
    user = done.user
    out(
        args,
        {"id": user.user_id, "sessions_ended": done.sessions_ended},
        f"password set for {user.email}",
    )


async def users_disable(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        done = await admin.users.set_disabled(args.email, not args.enable)
    user, ended = done.user, done.sessions_ended
    state = "enabled" if args.enable else "disabled"
    out(
        args,
        {"id": user.user_id, "state": state, "sessions_ended": ended},
        f"{state} {user.email} ({ended} sessions ended)",
    )


async def users_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        done = await admin.users.delete_by_email(args.email)
    user, ended = done.user, done.sessions_ended
    out(
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
    out(args, rows, text)


async def sessions_revoke(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        if args.session_id:
            ended = await admin.sessions.end(args.session_id)
        else:
            ended = await admin.sessions.end_all(await _owner(args, admin))
    out(args, {"sessions_ended": ended}, f"{ended} session(s) ended")


# admin tokens -------------------------------------------------------------------------------
async def admin_tokens_create(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        made = await admin.admin_tokens.create(args.name)
    out(
        args,
        {"id": made.record.token_id, "token": made.token},
        f"created admin token {made.record.name!r}\n  id    {made.record.token_id}\n"
        f"  token {made.token}\n  (shown once: store it now)",
    )


async def admin_tokens_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        records = await admin.admin_tokens.list()
    rows = [{"id": r.token_id, "name": r.name, "created": timestamp(r.created)} for r in records]
    text = "\n".join(f"{r['id']}  {r['created']}  {r['name']}" for r in rows)
    out(args, rows, text or "no admin tokens")


async def admin_tokens_revoke(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        await admin.admin_tokens.revoke(args.id)
    out(args, {"id": args.id, "revoked": True}, f"revoked admin token {args.id}")


# keys ---------------------------------------------------------------------------------------
async def keys_generate(args: argparse.Namespace, settings: Settings) -> None:
    directory = Path(args.dir or settings.keys.dir or "keys")
    key = generate_signing_key(directory, args.kid, args.algorithm)
    out(args, {"kid": key.kid, "path": str(key.path)}, f"wrote {key.path} (kid {key.kid})")


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
