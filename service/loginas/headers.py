"""The response headers of the login-as pages: no scripts, no framing, no caching, no referrer.

``form-action`` must list the app's origin on the confirmation page: browsers apply it to the
redirect that follows a form submission too (CSP Level 3, and Chromium enforces it).
"""

from __future__ import annotations

from collections.abc import Iterable

HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """A policy with no ``script-src`` allowance at all (``default-src 'none'``)."""
    form_action = " ".join(["'self'", *form_targets])
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


def page_headers(*, form_targets: Iterable[str] = ()) -> dict[str, str]:
    """Headers for every HTML page; ``form_targets`` are origins a form may end up at."""
    return {
        "Content-Type": HTML,
        "Content-Security-Policy": content_security_policy(form_targets),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }


def stylesheet_headers() -> dict[str, str]:
    """Headers for the stylesheet: cacheable for a while, never sniffed as something else."""
    return {
        "Content-Type": CSS,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=3600",
    }
