"""The authorization request the web template sends, for the authorize tests."""

from __future__ import annotations

import pytest

from service.loginas.authorize import AuthorizeError, LoginAsApp, parse_authorize
from service.models import ClientKind

REDIRECT = "https://market.example/api/login-as"
APP = LoginAsApp("cid-1", "Sauna Market", ClientKind.MARKETPLACE, (REDIRECT,))
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
STATE = "Yp0v3fXK1oXjD9Yq0hV6zj9zEwqfJj7r3p1JtX0Vq3w"
USER_ID = "5f3b0b6e-6c2a-4a4e-9a49-1d6f2a7c0002"


def query(**overrides: str | None) -> list[tuple[str, str]]:
    """The web template's request, in its order, with some parameters changed or (None) removed."""
    base = {
        "response_type": "code",
        "client_id": "cid-1",
        "redirect_uri": REDIRECT,
        "user_id": USER_ID,
        "state": STATE,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    base.update(overrides)
    return [(k, v) for k, v in base.items() if v is not None]


def refused(params: list[tuple[str, str]], app: LoginAsApp | None = APP) -> AuthorizeError:
    with pytest.raises(AuthorizeError) as caught:
        parse_authorize(params, app)
    return caught.value
