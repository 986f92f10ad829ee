"""The pages' headers: a strict policy without any script allowance, no framing, no caching."""

from __future__ import annotations

from service.loginas.headers import content_security_policy, page_headers, stylesheet_headers


def directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_policy_allows_no_script():
    """default-src 'none' and no script-src: no script of any origin may run."""
    policy = directives(content_security_policy())

    assert policy["default-src"] == ["'none'"]
    assert not any(name.startswith("script-src") for name in policy)


def test_policy_forbids_framing_and_base_changes():
    """frame-ancestors 'none' and base-uri 'none'."""
    policy = directives(content_security_policy())

    assert (policy["frame-ancestors"], policy["base-uri"]) == (["'none'"], ["'none'"])


def test_forms_may_end_at_the_app():
    """form-action allows this origin and the app's, where the confirmation redirects to."""
    policy = directives(content_security_policy(["https://market.example"]))

    assert policy["form-action"] == ["'self'", "https://market.example"]


def test_page_headers():
    """HTML pages carry the policy, X-Frame-Options DENY, nosniff, no referrer and no-store."""
    headers = page_headers()

    assert headers == {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }


def test_stylesheet_headers():
    """The stylesheet is text/css, never sniffed, cacheable for an hour."""
    assert stylesheet_headers() == {
        "Content-Type": "text/css; charset=utf-8",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=3600",
    }
