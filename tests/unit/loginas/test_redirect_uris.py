"""Redirect URIs: registration rules, exact matching, and adding response parameters."""

from __future__ import annotations

import pytest

from service.loginas.redirect_uris import (
    is_registered,
    origin,
    redirect_uri_problem,
    with_params,
)

REGISTERED = ("https://market.example/api/login-as",)


@pytest.mark.parametrize(
    "uri",
    [
        "https://market.example/api/login-as",
        "https://market.example:8443/api/login-as?tenant=a",
        "http://localhost:3000/api/login-as",
        "http://127.0.0.1:3000/api/login-as",
        "http://[::1]:3000/api/login-as",
    ],
)
def test_good_uris_may_be_registered_in_production(uri):
    """https URIs, and http ones on loopback addresses, pass the production rules."""
    assert redirect_uri_problem(uri, https_only=True) is None


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://market.example/api/login-as", "https"),
        ("https://market.example/api/login-as#x", "fragment"),
        ("/api/login-as", "absolute"),
        ("javascript:alert(1)", "absolute"),
        ("ftp://market.example/x", "absolute"),
        ("https://user:pw@market.example/x", "user information"),
        ("https://market.example/a b", "spaces"),
        ("https://market.example/a\nb", "spaces"),
        ("https://market.example:99999/x", "valid"),
        ("", "characters"),
        ("https://market.example/" + "a" * 2000, "characters"),
    ],
)
def test_bad_uris_are_refused_with_a_reason(uri, problem):
    """Relative, non-http(s), fragment, credentials, whitespace, bad port, length: each named."""
    assert problem in (redirect_uri_problem(uri, https_only=True) or "")


def test_http_is_allowed_outside_production():
    """Without https_only a plain http URI may be registered (local development)."""
    assert redirect_uri_problem("http://market.test/api/login-as", https_only=False) is None


@pytest.mark.parametrize(
    "uri",
    [
        "https://market.example/api/login-as/",
        "https://MARKET.example/api/login-as",
        "https://market.example/api/login-as?x=1",
        "https://market.example/api/login-a",
        "https://market.example:443/api/login-as",
        "https://market.example/api/login-as/../login-as",
        "https://market.example/api/%6Cogin-as",
    ],
)
def test_only_the_exact_string_is_registered(uri):
    """No normalization, prefix or case folding: a near miss is not registered."""
    assert is_registered(uri, REGISTERED) is False


def test_the_exact_string_is_registered():
    """The very string registered matches."""
    assert is_registered("https://market.example/api/login-as", REGISTERED) is True


def test_params_are_added_as_a_query():
    """Response parameters become the query, spaces as %20 and reserved characters encoded."""
    uri = with_params("https://m.example/cb", {"code": "abc", "state": "a b&c=d/é"})

    assert uri == "https://m.example/cb?code=abc&state=a%20b%26c%3Dd%2F%C3%A9"


def test_existing_query_is_retained():
    """A query the redirect URI already has is kept, and the parameters follow it."""
    assert (
        with_params("https://m.example/cb?t=1", {"code": "c"}) == "https://m.example/cb?t=1&code=c"
    )


def test_none_values_are_left_out():
    """A parameter without a value (no state) is not sent at all."""
    assert with_params("https://m.example/cb", {"code": "c", "state": None}) == (
        "https://m.example/cb?code=c"
    )


def test_origin_keeps_scheme_host_and_port():
    """The origin of a URI is scheme://host[:port], without path or user information."""
    assert origin("http://u@127.0.0.1:5173/api/login-as?x") == "http://127.0.0.1:5173"
