"""Introspection on real Redis (RFC 7662): only a confidential client may ask, and the answer's
token_type is the RFC 6749 type, ``bearer``."""

from __future__ import annotations

import pytest

from ..factories import make_client, make_user, store_of
from ..flows import INTROSPECT, INVALID_CLIENT, basic, introspect, login, ok, post, refresh

pytestmark = pytest.mark.integration

SECRET = "app-secret-value"


async def public_session(client):
    """A public marketplace app (no secret) and a user session of it."""
    store = store_of(client)
    app = await make_client(store)
    user = await make_user(store, password="pw")
    return app, await ok(login(client, app.client_id, user.email, "pw"))


async def test_no_client_authentication_is_401_invalid_client(client):
    """A request without client_id or Basic credentials is 401 invalid_client, not 400."""
    _, tokens = await public_session(client)

    answer = await post(client, INTROSPECT, {"token": tokens["access_token"]})

    assert answer == (401, INVALID_CLIENT)


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
async def test_public_client_cannot_introspect_even_its_own_tokens(client, which):
    """A public client naming itself is 401 invalid_client, so a stolen token cannot be tested."""
    app, tokens = await public_session(client)

    answer = await post(client, INTROSPECT, {"client_id": app.client_id, "token": tokens[which]})

    assert answer == (401, INVALID_CLIENT)


async def test_probing_a_stolen_refresh_token_is_refused_and_changes_nothing(client):
    """A probe with the public client id is refused; the session's refresh works as before."""
    app, tokens = await public_session(client)
    probe = await post(
        client, INTROSPECT, {"client_id": app.client_id, "token": tokens["refresh_token"]}
    )

    rotated = await refresh(client, app.client_id, tokens["refresh_token"])

    assert probe == (401, INVALID_CLIENT)
    assert rotated[0] == 200 and rotated[1]["refresh_token"] != tokens["refresh_token"]


async def test_wrong_secret_is_401_with_a_basic_challenge(client):
    """Basic credentials with a wrong secret: 401 invalid_client and WWW-Authenticate: Basic."""
    store = store_of(client)
    app = await make_client(store, secret=SECRET)

    async with client.post(
        INTROSPECT, data={"token": "x"}, headers=basic(app.client_id, "wrong")
    ) as resp:
        answer = (resp.status, await resp.json(), resp.headers.get("WWW-Authenticate"))

    assert answer == (401, INVALID_CLIENT, 'Basic realm="tokenhouse"')


async def test_confidential_client_sees_token_type_bearer(client):
    """token_type is "bearer" for both of a confidential client's tokens; token_use names them."""
    store = store_of(client)
    app = await make_client(store, secret=SECRET)
    user = await make_user(store, password="pw")
    tokens = await ok(login(client, app.client_id, user.email, "pw"))

    access = await ok(introspect(client, app.client_id, SECRET, tokens["access_token"]))
    refresh_body = await ok(introspect(client, app.client_id, SECRET, tokens["refresh_token"]))

    assert (access["active"], access["token_type"], access["token_use"]) == (
        True,
        "bearer",
        "access_token",
    )
    assert (refresh_body["active"], refresh_body["token_type"], refresh_body["token_use"]) == (
        True,
        "bearer",
        "refresh_token",
    )


async def test_metadata_offers_only_confidential_methods_for_introspection(client):
    """RFC 8414 metadata: introspection takes client_secret_basic or client_secret_post only."""
    async with client.get("/.well-known/oauth-authorization-server") as resp:
        body = await resp.json()

    assert body["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert "none" in body["token_endpoint_auth_methods_supported"]
