"""Social login, the SDK's ``loginWithIdp``: an identity provider's token opens a user session.

``POST /v1/auth/auth_with_idp`` takes ``idp_id``, ``idp_client_id`` and ``idp_token`` from a
marketplace app that proves its secret; the camelCase copies older SDKs also send are unknown
parameters, hence ignored (RFC 6749 §3.2). Every refusal of the token or of the user is
``401 invalid_grant``: the SDKs act on 401 only, and the marketplace then signs the user up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import context
from ..errors import ErrorCode, OAuthError
from ..models import Client, ClientKind, TokenRequest, TokenResponse
from .client_auth import require_secret
from .grants.base import required
from .services import Services

if TYPE_CHECKING:
    from ..idp.verifier import IdpVerifier

PARAMETERS = ("idp_id", "idp_client_id", "idp_token")
UNKNOWN_IDP = "Unknown identity provider."


async def marketplace_app(req: TokenRequest, services: Services) -> Client:
    """The marketplace app that sent the request, with its secret proven.

    No secret, a wrong one (``undefined`` included) or an unknown app: 401 invalid_client;
    an integration app: 400 unauthorized_client (RFC 6749 §5.2).
    """
    context.annotate(client_id=req.credentials.client_id)
    client = await require_secret(req.credentials, services, req.source)
    context.annotate(client_kind=client.kind.value)
    if client.kind is not ClientKind.MARKETPLACE:
        raise OAuthError(ErrorCode.UNAUTHORIZED_CLIENT)
    return client


async def login_with_idp(
    req: TokenRequest, services: Services, verifier: IdpVerifier
) -> TokenResponse:
    """A ``user`` session for the holder of a valid identity-provider token, or OAuthError."""
    for name in PARAMETERS:
        required(req, name)
    await marketplace_app(req, services)
    # The identity-provider registry comes with the admin records: until then none is known.
    raise OAuthError(ErrorCode.INVALID_GRANT, UNKNOWN_IDP, detail="unknown identity provider")
