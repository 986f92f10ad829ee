"""Social login, the SDK's ``loginWithIdp``: an identity provider's token opens a user session.

``POST /v1/auth/auth_with_idp`` takes ``idp_id``, ``idp_client_id`` and ``idp_token`` from a
marketplace app that proves its secret; the camelCase copies older SDKs also send are unknown
parameters, hence ignored (RFC 6749 §3.2). The token is verified with the provider's record;
the user linked to its identity logs in, else the user whose verified e-mail the token vouches
for (linked on the way). Every refusal of the provider, the token or the user is
``401 invalid_grant``: the SDKs act on 401 only, and the marketplace then signs the user up.
The session is the password grant's: one store step that also checks the user's state.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import structlog

from .. import context
from ..errors import ErrorCode, OAuthError, SecretsUnavailable
from ..idp.config import ID_RE
from ..idp.errors import IdpUnavailable, InvalidIdpToken
from ..idp.identity import VerifiedIdentity
from ..idp.keys import REFETCH_INTERVAL
from ..models import Client, ClientKind, Identity, TokenRequest, TokenResponse, User
from ..owners import Owner
from ..store.records import Change
from .client_auth import require_secret
from .grants.base import required
from .scopes import USER
from .services import Services
from .sessions import open_session

if TYPE_CHECKING:
    from ..idp.verifier import IdpVerifier

log = structlog.get_logger("tokenhouse.idp_login")

PARAMETERS = ("idp_id", "idp_client_id", "idp_token")
UNKNOWN_IDP = "Unknown identity provider."
INVALID_TOKEN = "The identity provider token is invalid."
NO_USER = "No user has this identity."
# A provider that failed is asked again after the key cache's refetch interval at the earliest
# (also the wait when a sealed secret cannot be opened: the operator must fix the server key).
RETRY_AFTER = int(REFETCH_INTERVAL)
# What the admin API accepts as a sub (admin/rules.py): only such identities are linked here.
LINKABLE_SUB = re.compile(r"[\x21-\x7e]{1,255}")


def no_user(detail: str) -> OAuthError:
    return OAuthError(ErrorCode.INVALID_GRANT, NO_USER, detail=detail)


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


async def verified_identity(
    req: TokenRequest, services: Services, verifier: IdpVerifier
) -> VerifiedIdentity:
    """The identity the named provider vouches for: 401 invalid_grant for an unknown provider
    or a bad token, 503 when the provider (or its sealed secret) cannot be used now."""
    idp_id, idp_client_id, idp_token = (required(req, name) for name in PARAMETERS)
    try:
        idp = await services.idps.config(idp_id) if ID_RE.fullmatch(idp_id) else None
    except SecretsUnavailable as exc:
        log.error("idp.secret_unavailable", idp_id=idp_id, reason=str(exc))
        raise OAuthError(
            ErrorCode.TEMPORARILY_UNAVAILABLE, detail=str(exc), retry_after=RETRY_AFTER
        ) from None
    if idp is None:
        raise OAuthError(ErrorCode.INVALID_GRANT, UNKNOWN_IDP, detail="unknown identity provider")
    context.annotate(idp_id=idp.id)
    try:
        return await verifier.verify(idp, idp_client_id, idp_token)
    except InvalidIdpToken as exc:
        raise OAuthError(ErrorCode.INVALID_GRANT, INVALID_TOKEN, detail=str(exc)) from None
    except IdpUnavailable as exc:
        raise OAuthError(
            ErrorCode.TEMPORARILY_UNAVAILABLE, detail=str(exc), retry_after=RETRY_AFTER
        ) from None


async def link_by_email(services: Services, identity: VerifiedIdentity) -> User:
    """The user whose verified e-mail the token vouches for, once linked to the identity.

    Only a user with no account at this provider yet is linked. When another user got the
    identity meanwhile, that user is the one it names: it is never taken from them."""
    if not identity.email_verified or identity.email is None:
        raise no_user("no linked user, and the token's e-mail is not verified")
    user = await services.users.find_by_email(identity.email)
    if user is None:
        raise no_user("no linked user, and no user has the token's e-mail")
    if not user.email_verified:
        raise no_user("the user with the token's e-mail has not verified it")
    if user.disabled:
        raise no_user("the user is disabled")
    if user.identity(identity.idp_id) is not None:
        raise no_user("the user with the token's e-mail has another account at this provider")
    if not LINKABLE_SUB.fullmatch(identity.sub):
        raise no_user("the token's sub cannot be linked")
    outcome = await services.users.link_by_email(user, Identity(identity.idp_id, identity.sub))
    if outcome is Change.DONE:
        log.info("idp.identity_linked", user_id=user.user_id, idp_id=identity.idp_id)
        return user
    if outcome is Change.TAKEN:  # linked to another user meanwhile: that user it is
        holder = await services.users.find_by_identity(identity.idp_id, identity.sub)
        if holder is not None:
            return holder
    raise no_user(f"the user changed while the identity was linked ({outcome.value})")


async def login_with_idp(
    req: TokenRequest, services: Services, verifier: IdpVerifier
) -> TokenResponse:
    """A ``user`` session for the holder of a valid identity-provider token, or OAuthError."""
    for name in PARAMETERS:
        required(req, name)
    client = await marketplace_app(req, services)
    identity = await verified_identity(req, services, verifier)
    user = await services.users.find_by_identity(identity.idp_id, identity.sub)
    if user is None:
        user = await link_by_email(services, identity)
    context.annotate(user_id=user.user_id)
    if user.disabled:
        raise no_user("the user is disabled")
    response = await open_session(
        services,
        owner=Owner.user(user.user_id),
        client_id=client.client_id,
        scope=USER,
        user_generation=user.generation,
    )
    if response is None:  # disabled, deleted or logged out everywhere meanwhile
        raise no_user("the user changed during the login")
    return response
