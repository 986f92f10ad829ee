"""The token endpoint (RFC 6749 §3.2): grant lookup -> client auth -> may it? -> exchange."""

from __future__ import annotations

from .. import context
from ..errors import ErrorCode, OAuthError
from ..models import TokenRequest, TokenResponse
from .client_auth import authenticate_client, invalid_client
from .services import Services


async def issue_token(req: TokenRequest, services: Services) -> TokenResponse:
    """Issue tokens for a parsed token request, or raise OAuthError."""
    grant_type = req.get("grant_type")
    if grant_type is None:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The grant_type parameter is required.")
    grant = services.grants.get(grant_type)
    if grant is None:
        raise OAuthError(ErrorCode.UNSUPPORTED_GRANT_TYPE)
    context.annotate(grant_type=grant.grant_type, client_id=req.credentials.client_id)
    auth = await authenticate_client(
        req.credentials, services, source=req.source, stale_ok=grant.stale_client_ok
    )
    client = auth.client
    context.annotate(client_kind=client.kind.value)
    if grant.requires_secret(client) and not auth.secret_verified:
        raise invalid_client(req.credentials, "secret required")
    if client.kind not in grant.client_kinds:
        raise OAuthError(ErrorCode.UNAUTHORIZED_CLIENT)
    return await grant.exchange(req, client, services)
