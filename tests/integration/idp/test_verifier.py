"""IdpVerifier: one entry point for every configured provider, keys cached per configuration."""

from __future__ import annotations

import pytest

from service.idp.config import OidcIdp
from service.idp.errors import InvalidIdpToken
from service.idp.facebook import FacebookVerifier
from service.idp.identity import VerifiedIdentity
from service.idp.oidc import OidcVerifier
from service.idp.verifier import IdpVerifier


@pytest.fixture
def verifier(session) -> IdpVerifier:
    return IdpVerifier(session, production=False)


async def test_oidc_and_facebook_tokens_verify_through_one_entry_point(
    verifier, idp, oidc_config, facebook_config
):
    """The provider's kind picks the verifier: OIDC ID tokens and Facebook access tokens."""
    oidc = await verifier.verify(oidc_config, idp.client_id, idp.mint(sub="o1"))
    fb = await verifier.verify(facebook_config, idp.fb_app_id, idp.facebook_token("f1", None))

    assert oidc == VerifiedIdentity("local", "o1", "alice@example.com", True)
    assert fb == VerifiedIdentity("facebook", "f1", None, False)
    assert isinstance(verifier.verifier_for(oidc_config), OidcVerifier)
    assert isinstance(verifier.verifier_for(facebook_config), FacebookVerifier)


async def test_keys_are_cached_across_calls_with_an_equal_configuration(verifier, idp, oidc_config):
    """An equal configuration value (as re-read from a store) reuses the cached keys."""
    same = OidcIdp(oidc_config.id, oidc_config.issuer, list(oidc_config.client_ids))  # type: ignore[arg-type]
    await verifier.verify(oidc_config, idp.client_id, idp.mint())
    await verifier.verify(same, idp.client_id, idp.mint())

    assert dict(idp.requests) == {"discovery": 1, "jwks": 1}


async def test_a_changed_configuration_gets_a_fresh_verifier(verifier, idp, oidc_config):
    """Removing a client id from the configuration takes effect on the next token."""
    await verifier.verify(oidc_config, idp.client_id, idp.mint())
    narrowed = OidcIdp(oidc_config.id, oidc_config.issuer, ("second-client",))

    with pytest.raises(InvalidIdpToken):
        await verifier.verify(narrowed, idp.client_id, idp.mint())
