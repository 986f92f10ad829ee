"""The operator CLI: `tokenhouse serve | apps | users | sessions | keys`.

Every command reads the same configuration as `serve`. Output is for people by default and
JSON with `--json`. Without a Redis URL the commands use the embedded store.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .crypto.hashing import SecretHasher
from .crypto.jwt import SigningKeyError, assert_backend, generate_pem, load_key
from .embedded import EmbeddedRedis
from .errors import StoreUnavailable
from .models import Client, ClientKind, User
from .settings import ConfigError, Settings, load_settings, replace
from .store.keys import CLIENT_ID_RE, OWNER_RE, client_owner, user_owner
from .store.redis import RedisStore, connect


class CliError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=None if args.json else 2) if args.json else text)


async def _socket_alive(url: str, settings: Settings) -> bool:
    try:
        client = connect(settings.redis, url)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()
    except Exception:  # noqa: BLE001 - any failure means "not alive"
        return False


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[RedisStore]:
    """The configured store; without a URL the embedded one (reused if a server runs it)."""
    embedded = None
    url = settings.redis.url
    if not url:
        embedded = EmbeddedRedis(settings.redis.embedded_dir)
        if await _socket_alive(embedded.url, settings):
            url, embedded = embedded.url, None
        else:
            url = embedded.start()
    store = RedisStore(
        connect(settings.redis, url),
        settings.redis.prefix,
        deadline=max(settings.server.request_timeout, 5.0),
    )
    try:
        yield store
    finally:
        await store.close()
        if embedded is not None:
            embedded.stop()


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
    hasher = SecretHasher(settings.hashing)
    secret = secrets.token_urlsafe(32) if (args.secret or kind is ClientKind.INTEGRATION) else None
    if args.client_id is not None and not CLIENT_ID_RE.fullmatch(args.client_id):
        raise CliError("a client id is 1 to 64 letters, digits or hyphens")
    client = Client(
        args.client_id or str(uuid.uuid4()), kind, args.name, hasher.hash(secret) if secret else ""
    )
    async with open_store(settings) as store:
        if not await store.create_client(client):
            if await store.client_id_deleted(client.client_id):
                raise CliError(f"client id {client.client_id} belonged to a deleted app")
            raise CliError(f"client {client.client_id} exists")
    data: dict[str, Any] = {"client_id": client.client_id, "kind": kind.value, "name": args.name}
    if secret:
        data["client_secret"] = secret
    text = f"created {kind.value} app {args.name!r}\n  client_id     {client.client_id}"
    if secret:
        text += f"\n  client_secret {secret}\n  (shown once: store it now)"
    _out(args, data, text)


async def apps_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        clients = await store.list_clients()
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
    hasher = SecretHasher(settings.hashing)
    secret = secrets.token_urlsafe(32)
    async with open_store(settings) as store:
        client = await store.get_client(args.client_id)
        if client is None:
            raise CliError(f"no client {args.client_id}")
        await store.save_client(
            Client(client.client_id, client.kind, client.name, hasher.hash(secret))
        )
    _out(
        args,
        {"client_id": args.client_id, "client_secret": secret},
        f"new secret for {args.client_id}\n  client_secret {secret}\n  (shown once: store it now)",
    )


async def apps_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        found = await store.delete_client(args.client_id)
    if not found:
        raise CliError(f"no client {args.client_id}")
    _out(args, {"client_id": args.client_id, "deleted": True}, f"deleted {args.client_id}")


# users --------------------------------------------------------------------------------------
async def _user(store: RedisStore, email: str) -> User:
    user_id = await store.get_user_id(email)
    user = await store.get_user(user_id) if user_id else None
    if user is None:
        raise CliError(f"no user {email}")
    return user


async def users_create(args: argparse.Namespace, settings: Settings) -> None:
    password = _read_secret(args, "password")
    user = User(
        str(uuid.uuid4()), args.email.strip().lower(), SecretHasher(settings.hashing).hash(password)
    )
    async with open_store(settings) as store:
        if not await store.create_user(user):
            raise CliError(f"a user with email {args.email} exists")
    _out(
        args,
        {"id": user.user_id, "email": user.email},
        f"created user {user.email}\n  id {user.user_id}",
    )


async def users_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        users = await store.list_users()
    rows = [{"id": u.user_id, "email": u.email, "disabled": u.disabled} for u in users]
    text = "\n".join(
        f"{r['id']}  {r['email']}{'  (disabled)' if r['disabled'] else ''}" for r in rows
    )
    _out(args, rows, text or "no users")


async def users_set_password(args: argparse.Namespace, settings: Settings) -> None:
    password = _read_secret(args, "new password")
    pw = SecretHasher(settings.hashing).hash(password)
    async with open_store(settings) as store:
        user = await _user(store, args.email)
        if args.logout:  # the new password and the end of every session: one atomic step
            ended = await store.revoke_owner(user_owner(user.user_id), pw=pw)
        else:
            ended = 0 if await store.update_user(user.user_id, pw=pw) else -1
        if ended < 0:
            raise CliError(f"no user {args.email}")
    _out(args, {"id": user.user_id, "sessions_ended": ended}, f"password set for {user.email}")


async def users_disable(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        user = await _user(store, args.email)
        if args.enable:
            ended = 0 if await store.update_user(user.user_id, disabled="0") else -1
        else:  # disabled and every session ended in one atomic step
            ended = await store.revoke_owner(user_owner(user.user_id), disabled="1")
        if ended < 0:
            raise CliError(f"no user {args.email}")
    state = "enabled" if args.enable else "disabled"
    _out(
        args,
        {"id": user.user_id, "state": state, "sessions_ended": ended},
        f"{state} {user.email} ({ended} sessions ended)",
    )


async def users_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        user = await _user(store, args.email)
        ended = await store.delete_user(user)
    _out(
        args,
        {"id": user.user_id, "deleted": True, "sessions_ended": ended},
        f"deleted {user.email} ({ended} sessions ended)",
    )


# sessions -----------------------------------------------------------------------------------
async def _owner(args: argparse.Namespace, store: RedisStore) -> str:
    if args.user:
        return user_owner((await _user(store, args.user)).user_id)
    if args.client:
        return client_owner(args.client)
    raise CliError("name --user EMAIL or --client CLIENT_ID")


async def sessions_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        rows = await store.list_sessions(await _owner(args, store))
    text = (
        "\n".join(f"{r['session_id']}  client {r['client_id']}  scope {r['scope']}" for r in rows)
        or "no sessions"
    )
    _out(args, rows, text)


async def sessions_revoke(args: argparse.Namespace, settings: Settings) -> None:
    async with open_store(settings) as store:
        if args.session_id:
            owner, _, sid = args.session_id.rpartition(".")
            if not OWNER_RE.match(owner) or not sid:
                raise CliError("a session id looks like u-<user id>.<id> or c-<client id>.<id>")
            ended = int(await store.revoke_one(owner, sid))
        else:
            ended = max(0, await store.revoke_owner(await _owner(args, store)))
    _out(args, {"sessions_ended": ended}, f"{ended} session(s) ended")


# keys ---------------------------------------------------------------------------------------
async def keys_generate(args: argparse.Namespace, settings: Settings) -> None:
    directory = Path(args.dir or settings.keys.dir or "keys")
    directory.mkdir(parents=True, exist_ok=True)
    kid = args.kid or f"{args.algorithm.lower()}-{secrets.token_hex(4)}"
    path = directory / f"{kid}.pem"
    if path.exists():
        raise CliError(f"{path} exists")
    pem = generate_pem(args.algorithm)
    load_key(kid, pem, args.algorithm)  # validates the kid and the key
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    _out(args, {"kid": kid, "path": str(path)}, f"wrote {path} (kid {kid})")


# serve --------------------------------------------------------------------------------------
def serve(args: argparse.Namespace, settings: Settings) -> None:
    from .server import run

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.workers:
        overrides["workers"] = args.workers
    run(replace(settings, server=overrides) if overrides else settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenhouse", description=__doc__.splitlines()[0])
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

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="sub", required=True)
    p = add(keys, "generate", keys_generate, "write a new PEM private key")
    p.add_argument("--dir")
    p.add_argument("--kid")
    p.add_argument("--algorithm", choices=["ES256", "RS256"], default="ES256")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        assert_backend()
        result = args.func(args, settings)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except ConfigError as exc:
        print(f"tokenhouse: {exc}", file=sys.stderr)
        return 2
    except (CliError, SigningKeyError) as exc:
        print(f"tokenhouse: {exc}", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:
        print(f"tokenhouse: Redis is unavailable ({exc})", file=sys.stderr)
        return 1
    return 0


__all__ = ["main", "build_parser"]
