"""The identity-provider commands: `tokenhouse idps add | list | delete`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..admin import IdpRecord
from ..backend import open_admin
from ..idp.config import DEFAULT_GRAPH_URL, FacebookIdp, IdpConfig, OidcIdp
from ..settings import Settings
from .output import CliError, out, timestamp


def idp_row(record: IdpRecord) -> dict[str, Any]:
    """A provider as the admin API shows it: never its app secret."""
    row: dict[str, Any] = {"id": record.id, "kind": record.kind}
    if record.kind == OidcIdp.kind:
        row.update(issuer=record.issuer, client_ids=list(record.client_ids))
    else:
        row.update(client_id=record.client_id, graph_url=record.graph_url)
    row["created"] = timestamp(record.created)
    return row


def _config(args: argparse.Namespace) -> IdpConfig:
    client_ids: list[str] = args.client_id or []
    if args.kind == OidcIdp.kind:
        if args.client_secret or args.client_secret_stdin or args.graph_url:
            raise CliError("--client-secret and --graph-url are for --kind facebook")
        if not args.issuer:
            raise CliError("--kind oidc needs --issuer URL")
        return OidcIdp(args.id, args.issuer, tuple(client_ids))
    if args.issuer:
        raise CliError("--issuer is for --kind oidc")
    if len(client_ids) != 1:
        raise CliError("--kind facebook needs exactly one --client-id (the app id)")
    secret = args.client_secret
    if args.client_secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise CliError("--kind facebook needs --client-secret (or --client-secret-stdin)")
    return FacebookIdp(args.id, client_ids[0], secret, args.graph_url or DEFAULT_GRAPH_URL)


async def idps_add(args: argparse.Namespace, settings: Settings) -> None:
    config = _config(args)
    async with open_admin(settings) as admin:
        record = await admin.idps.create(config)
    out(args, idp_row(record), f"added {record.kind} identity provider {record.id}")


async def idps_list(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        records = await admin.idps.list()
    rows = [idp_row(r) for r in records]
    text = "\n".join(
        f"{r['id']}  {r['kind']:<8} {r.get('issuer') or r.get('client_id')}" for r in rows
    )
    out(args, rows, text or "no identity providers")


async def idps_delete(args: argparse.Namespace, settings: Settings) -> None:
    async with open_admin(settings) as admin:
        unlinked = await admin.idps.delete(args.id)
    out(
        args,
        {"id": args.id, "deleted": True, "identities_unlinked": unlinked},
        f"deleted identity provider {args.id} ({unlinked} users unlinked)",
    )


def add_idps_commands(sub: Any, add: Any) -> None:
    """`idps add | list | delete` on the top-level parser ``sub``."""
    idps = sub.add_parser("idps", help="identity providers (social login)").add_subparsers(
        dest="sub", required=True
    )
    p = add(idps, "add", idps_add, "add an identity provider")
    p.add_argument("--id", required=True, help="the idp_id loginWithIdp sends, e.g. google")
    p.add_argument("--kind", choices=[OidcIdp.kind, FacebookIdp.kind], required=True)
    p.add_argument("--issuer", help="oidc: the issuer URL its ID tokens carry")
    p.add_argument(
        "--client-id",
        action="append",
        metavar="CID",
        help="oidc: an accepted client id (repeat for several); facebook: the app id",
    )
    p.add_argument("--client-secret", help="facebook: the app secret (stored sealed)")
    p.add_argument(
        "--client-secret-stdin", action="store_true", help="facebook: read the secret from stdin"
    )
    p.add_argument("--graph-url", help=f"facebook: the Graph API (default {DEFAULT_GRAPH_URL})")
    add(idps, "list", idps_list, "list identity providers (never a secret)")
    p = add(idps, "delete", idps_delete, "remove an identity provider and unlink its users")
    p.add_argument("id")
