"""Client authentication: RFC 6749 §2.3.1 (HTTP Basic or body parameters).

An unknown client and a wrong secret look the same: both verify a presented secret against
an argon2 hash (a dummy one for the unknown client) and answer 401 invalid_client.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from ..errors import ErrorCode, OAuthError
from ..models import Client, ClientCredentials
from .services import Services
from .throttle import source_bucket

log = structlog.get_logger("tokenhouse.client_auth")


@dataclass(frozen=True)
class Authenticated:
    client: Client
    secret_verified: bool


def invalid_client(creds: ClientCredentials, detail: str) -> OAuthError:
    # Only challenge when Basic was used: a browser would otherwise pop up a login dialog.
    challenge = 'Basic realm="tokenhouse"' if creds.via_basic else None
    return OAuthError(ErrorCode.INVALID_CLIENT, detail=detail, www_authenticate=challenge)


async def authenticate_client(
    creds: ClientCredentials, services: Services, *, source: str = "", stale_ok: bool = False
) -> Authenticated:
    """The client the request names; its secret checked when one was presented."""
    if not creds.client_id:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The client_id parameter is required.")
    directory = services.clients
    client = await directory.get(creds.client_id, stale_ok=stale_ok)
    if creds.client_secret is None:
        if client is None:
            raise invalid_client(creds, "unknown client")
        return Authenticated(client, secret_verified=False)

    if (
        client is not None
        and client.has_secret
        and directory.cached_secret_ok(client, creds.client_secret)
    ):
        return Authenticated(client, secret_verified=True)
    source_key = f"source:{source_bucket(source)}"
    wait = max(
        directory.failures.retry_after(f"client:{creds.client_id}"),
        directory.failures.retry_after(source_key),
    )
    # Over its failure budget, a client id (or source) is refused without argon2 only while
    # argon2 is saturated: a flood cannot then lock the real client out once the pool is free.
    if wait and services.hasher.saturated:
        raise OAuthError(
            ErrorCode.TOO_MANY_REQUESTS, detail="client secret failures", retry_after=wait
        )
    if await directory.verify_secret(client, creds.client_secret):
        assert client is not None
        return Authenticated(client, secret_verified=True)
    directory.failures.record(f"client:{creds.client_id}")
    directory.failures.record(source_key)
    log.info("client_auth.failed", client_id=creds.client_id, known=client is not None)
    raise invalid_client(creds, "wrong secret or unknown client")


async def authenticate_caller(creds: ClientCredentials, services: Services, source: str) -> Client:
    """The client a revocation acts for (RFC 7009 callers): one that proved its secret, or a
    public client (it has no secret) naming itself; a client with a secret must present it."""
    auth = await authenticate_client(creds, services, source=source)
    if auth.client.has_secret and not auth.secret_verified:
        raise invalid_client(creds, "secret required")
    return auth.client


async def require_secret(creds: ClientCredentials, services: Services, source: str) -> Client:
    """A confidential client that proved its secret; anything else is 401 invalid_client.

    No credentials, or a public client naming itself, fail the same way as a wrong secret.
    """
    if not creds.client_id or creds.client_secret is None:
        raise invalid_client(creds, "client authentication with a secret required")
    auth = await authenticate_client(creds, services, source=source)
    if not auth.secret_verified:  # defensive: a presented secret is either checked or refused
        raise invalid_client(creds, "secret required")
    return auth.client
