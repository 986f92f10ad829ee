"""An app's redirect URIs: RFC 6749 §3.1.2 rules, compared by exact string (RFC 9700 §2.1)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from urllib.parse import quote, urlencode, urlsplit

MAX_LENGTH = 2000
LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str, *, https_only: bool) -> str | None:
    """Why a URI cannot be registered as a redirect URI; None when it can.

    "The redirection endpoint URI MUST be an absolute URI ... MUST NOT include a fragment
    component" (RFC 6749 §3.1.2). With ``https_only`` (production) plain http is allowed only
    for loopback hosts, where nothing crosses a network (RFC 8252 §7.3).
    """
    if not uri or len(uri) > MAX_LENGTH:
        return f"a redirect URI has 1 to {MAX_LENGTH} characters"
    if any(ch.isspace() or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in uri):
        return "a redirect URI contains no spaces or control characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "a redirect URI must be a valid absolute URI"
    if parts.scheme not in ("http", "https") or not host:
        return "a redirect URI is an absolute http or https URI"
    if "#" in uri:
        return "a redirect URI has no fragment"
    if parts.username is not None or parts.password is not None:
        return "a redirect URI has no user information"
    if https_only and parts.scheme != "https" and not _is_loopback(host):
        return "a redirect URI uses https (http only for loopback addresses)"
    return None


def is_registered(uri: str, registered: Collection[str]) -> bool:
    """Exact string match against the app's registered URIs: no prefix, no normalization."""
    return uri in registered


def with_params(uri: str, params: Mapping[str, str | None]) -> str:
    """The URI with the response parameters added to its query; its own query is kept
    ("MUST be retained when adding additional query parameters", RFC 6749 §3.1.2)."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
    if not query:
        return uri
    if "?" not in uri:
        return f"{uri}?{query}"
    return f"{uri}{query}" if uri.endswith(("?", "&")) else f"{uri}&{query}"


def origin(uri: str) -> str:
    """``scheme://host[:port]`` of an absolute URI (for a CSP ``form-action`` source)."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
