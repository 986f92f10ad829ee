"""Identity-provider configuration values: what an operator may configure, per environment."""

from __future__ import annotations

import pytest

from service.idp.config import DEFAULT_GRAPH_URL, FacebookIdp, OidcIdp, validate
from service.idp.errors import IdpConfigError


def test_https_oidc_issuer_is_valid_in_production():
    """An https issuer with a client id passes the production checks."""
    validate(OidcIdp("google", "https://accounts.google.com", ("cid",)), production=True)


def test_http_issuer_is_refused_in_production():
    """An http:// issuer is refused in production (https only)."""
    idp = OidcIdp("local", "http://127.0.0.1:9000", ("cid",))

    with pytest.raises(IdpConfigError) as caught:
        validate(idp, production=True)

    assert str(caught.value) == "identity provider 'local': issuer must use https in production"


def test_http_issuer_is_allowed_outside_production():
    """An http:// issuer is fine outside production (a local IdP in tests and development)."""
    validate(OidcIdp("local", "http://127.0.0.1:9000", ("cid",)), production=False)


def test_http_graph_url_is_refused_in_production():
    """Facebook's graph_url follows the same https-only rule in production."""
    idp = FacebookIdp("fb", "123", "app-secret", graph_url="http://127.0.0.1:9000/graph")

    with pytest.raises(IdpConfigError, match="graph_url must use https in production"):
        validate(idp, production=True)
    validate(idp, production=False)


@pytest.mark.parametrize(
    ("issuer", "problem"),
    [
        ("accounts.google.com", "issuer must be an absolute http(s) URL"),
        ("ftp://idp.example.com", "issuer must be an absolute http(s) URL"),
        ("https://", "issuer must be an absolute http(s) URL"),
        ("https://idp.example.com:99999", "issuer is not a valid URL"),
        ("https://idp.example.com?x=1", "issuer must not carry a query, fragment or credentials"),
        ("https://u:p@idp.example.com", "issuer must not carry a query, fragment or credentials"),
    ],
)
def test_malformed_issuers_are_refused(issuer, problem):
    """An issuer must be an absolute http(s) URL without query, fragment or credentials."""
    with pytest.raises(IdpConfigError) as caught:
        validate(OidcIdp("idp", issuer, ("cid",)), production=False)

    assert str(caught.value) == f"identity provider 'idp': {problem}"


def test_every_problem_is_listed_in_one_error():
    """A bad id, issuer and client id list are reported together."""
    with pytest.raises(IdpConfigError) as caught:
        validate(OidcIdp("bad id!", "nope", ()), production=False)

    assert str(caught.value) == (
        "identity provider 'bad id!': id: use 1-64 letters, digits, '.', '_' or '-'; "
        "issuer must be an absolute http(s) URL; at least one client id is required"
    )


def test_blank_client_ids_are_refused():
    """Every client id must be a non-empty string."""
    with pytest.raises(IdpConfigError, match="client ids must be non-empty strings"):
        validate(OidcIdp("idp", "https://idp.example.com", ("cid", " ")), production=False)


def test_facebook_needs_app_id_and_secret():
    """A Facebook provider without app id or secret is refused."""
    with pytest.raises(IdpConfigError) as caught:
        validate(FacebookIdp("fb", "", ""), production=False)

    assert "client id (the Facebook app id) is required" in str(caught.value)
    assert "client secret (the Facebook app secret) is required" in str(caught.value)


def test_client_ids_given_as_a_list_become_a_tuple():
    """Client ids from a list are stored as a tuple, so the value stays hashable."""
    idp = OidcIdp("idp", "https://idp.example.com", ["a", "b"])  # type: ignore[arg-type]

    assert idp.client_ids == ("a", "b")
    assert hash(idp) == hash(OidcIdp("idp", "https://idp.example.com", ("a", "b")))


def test_values_are_frozen_with_their_kind():
    """Configuration values cannot be changed after creation and name their kind."""
    idp = FacebookIdp("fb", "123", "app-secret")

    with pytest.raises(AttributeError):
        idp.client_id = "456"  # type: ignore[misc]
    assert (idp.kind, OidcIdp.kind, idp.graph_url) == ("facebook", "oidc", DEFAULT_GRAPH_URL)


def test_repr_never_shows_the_facebook_secret():
    """The app secret is left out of the value's repr (so of any log or traceback)."""
    assert "app-secret" not in repr(FacebookIdp("fb", "123", "app-secret"))
