"""Identity-provider configuration values (frozen), with the checks operator input must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlsplit

from .errors import IdpConfigError

ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DEFAULT_GRAPH_URL = "https://graph.facebook.com"


@dataclass(frozen=True)
class OidcIdp:
    """An OpenID Connect provider: ID tokens signed by the keys its issuer publishes."""

    kind: ClassVar[str] = "oidc"
    id: str
    issuer: str
    client_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        # A list from a CLI or a Redis record becomes a tuple, so the value stays hashable.
        object.__setattr__(self, "client_ids", tuple(self.client_ids))


@dataclass(frozen=True)
class FacebookIdp:
    """Facebook Login: user access tokens checked with the Graph API."""

    kind: ClassVar[str] = "facebook"
    id: str
    client_id: str
    client_secret: str = field(repr=False)
    graph_url: str = DEFAULT_GRAPH_URL


IdpConfig = OidcIdp | FacebookIdp


def _url_problems(name: str, url: str, *, production: bool) -> list[str]:
    """An absolute http(s) URL with a host and no query or fragment; https in production."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return [f"{name} is not a valid URL"]
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return [f"{name} must be an absolute http(s) URL"]
    problems = []
    if parts.query or parts.fragment or parts.username or parts.password:
        problems.append(f"{name} must not carry a query, fragment or credentials")
    if production and parts.scheme != "https":
        problems.append(f"{name} must use https in production")
    return problems


def validate(idp: IdpConfig, *, production: bool) -> None:
    """Raise IdpConfigError listing every problem; an ``http://`` URL only outside production."""
    problems = []
    if not isinstance(idp.id, str) or not ID_RE.match(idp.id):
        problems.append("id: use 1-64 letters, digits, '.', '_' or '-'")
    if isinstance(idp, OidcIdp):
        problems += _url_problems("issuer", idp.issuer, production=production)
        if not idp.client_ids:
            problems.append("at least one client id is required")
        if any(not isinstance(c, str) or not c.strip() for c in idp.client_ids):
            problems.append("client ids must be non-empty strings")
    else:
        problems += _url_problems("graph_url", idp.graph_url, production=production)
        if not isinstance(idp.client_id, str) or not idp.client_id.strip():
            problems.append("client id (the Facebook app id) is required")
        if not isinstance(idp.client_secret, str) or not idp.client_secret.strip():
            problems.append("client secret (the Facebook app secret) is required")
    if problems:
        raise IdpConfigError(f"identity provider {str(idp.id)[:64]!r}: " + "; ".join(problems))
