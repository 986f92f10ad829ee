"""Lifetimes, issuer and signing keys given as env vars reach the running service."""

from __future__ import annotations

import pytest

from .api_client import jwt_parts
from .conftest import ACCESS_TTL, ACTIVE_KID, ISSUER, OLD_KID

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_access_ttl_env_shows_in_expires_in_and_claims(api, cli):
    """TOKENHOUSE_TOKENS__ACCESS_TTL is the expires_in and exp - iat of a token."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "ttl")

    _, body = api.anonymous(app["client_id"])

    claims = jwt_parts(body["access_token"])[1]
    assert body["expires_in"] == ACCESS_TTL
    assert claims["exp"] - claims["iat"] == ACCESS_TTL


def test_issuer_env_shows_in_tokens_and_metadata(api, cli):
    """TOKENHOUSE_TOKENS__ISSUER is the tokens' iss and the metadata's issuer."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "iss")

    _, body = api.anonymous(app["client_id"])
    status, metadata = api.get("/.well-known/oauth-authorization-server")

    assert jwt_parts(body["access_token"])[1]["iss"] == ISSUER
    assert status == 200 and metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/v1/auth/token"


def test_key_dir_env_publishes_both_keys_and_signs_with_active(api, cli):
    """With two keys in TOKENHOUSE_KEYS__DIR both are in the JWKS; the active kid signs."""
    app = cli("apps", "create", "--kind", "marketplace", "--name", "kid")

    _, body = api.anonymous(app["client_id"])
    status, jwks = api.get("/.well-known/jwks.json")

    header = jwt_parts(body["access_token"])[0]
    assert status == 200
    assert {key["kid"] for key in jwks["keys"]} == {OLD_KID, ACTIVE_KID}
    assert header["kid"] == ACTIVE_KID and header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
