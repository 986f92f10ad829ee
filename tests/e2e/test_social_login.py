"""Social login on the real process: identity providers added with the CLI, users made through
the admin API, ID tokens and Facebook tokens from the local IdP process, every check of the
contract answered over HTTP as documented."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ..admin_api import AdminHttp
from ..flows import AUTH_WITH_IDP, UNAVAILABLE, UNKNOWN_IDP, idp_form
from ..idp_proc import IdpProcess
from .api_client import INVALID_GRANT, Api, jwt_parts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INVALID_TOKEN = {
    "error": "invalid_grant",
    "error_description": "The identity provider token is invalid.",
}
NO_USER = {"error": "invalid_grant", "error_description": "No user has this identity."}
UNAVAILABLE_BOUND = 3.5  # the ~2 s budget, with room for a loaded machine


@pytest.fixture(scope="module")
def idp() -> Iterator[IdpProcess]:
    process = IdpProcess().start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def oidc_id(cli, idp: IdpProcess) -> str:
    """An OIDC provider for the local IdP, added with the CLI."""
    idp_id = f"oidc-{secrets.token_hex(3)}"
    added = cli(
        "idps", "add", "--id", idp_id, "--kind", "oidc", "--issuer", idp.issuer,
        "--client-id", idp.client_id, "--client-id", "second-client",
    )  # fmt: skip
    assert added["client_ids"] == [idp.client_id, "second-client"]
    return idp_id


@pytest.fixture(scope="module")
def facebook_id(cli, idp: IdpProcess) -> str:
    """A Facebook provider on the IdP's Graph stand-in; the app secret through stdin."""
    idp_id = f"fb-{secrets.token_hex(3)}"
    added = cli(
        "idps", "add", "--id", idp_id, "--kind", "facebook", "--client-id", idp.fb_app_id,
        "--client-secret-stdin", "--graph-url", idp.graph_url, stdin=idp.fb_app_secret + "\n",
    )  # fmt: skip
    assert idp.fb_app_secret not in repr(added)
    return idp_id


@pytest.fixture(scope="module")
def app(cli) -> dict[str, str]:
    """A marketplace app with a secret (the web template's server-side SDK)."""
    made = cli("apps", "create", "--kind", "marketplace", "--name", "social", "--secret")
    return {"client_id": made["client_id"], "client_secret": made["client_secret"]}


@pytest.fixture(scope="module")
def admin(server, cli) -> AdminHttp:
    """The admin API as a marketplace backend calls it."""
    return AdminHttp(server.admin_url, cli("admin-tokens", "create", "--name", "social")["token"])


def new_user(admin: AdminHttp, *, verified: bool = True, **body: Any) -> dict[str, Any]:
    """A user created through the admin API."""
    email = body.pop("email", f"social+{secrets.token_hex(4)}@example.com")
    status, user = admin.request(
        "POST", "/admin/v1/users", {"email": email, "email_verified": verified, **body}
    )
    assert status == 201, user
    return user


def login(api: Api, app: dict[str, str], idp_id: str, client_id: str, token: str):
    form = idp_form(app["client_id"], app["client_secret"], idp_id, client_id, token)
    return api.request(AUTH_WITH_IDP, form)


def test_login_or_create_in_the_web_templates_order(api, admin, app, idp, oidc_id):
    """Unknown identity: 401; the backend creates the user with the identity through the admin
    API; the same call then answers exactly 200 and the session refreshes."""
    sub = f"sub-{secrets.token_hex(4)}"
    token = idp.mint(sub=sub, email=f"{sub}@example.com")

    unknown = login(api, app, oidc_id, idp.client_id, token)
    user = new_user(admin, email=f"{sub}@example.com", identities=[{"idp_id": oidc_id, "sub": sub}])
    status, body = login(api, app, oidc_id, idp.client_id, token)

    assert unknown == (401, NO_USER)
    assert status == 200 and body["scope"] == "user"
    assert jwt_parts(body["access_token"])[1]["sub"] == user["id"]
    assert api.refresh(app["client_id"], body["refresh_token"])[0] == 200


def hostile(idp: IdpProcess, sub: str, case: str) -> tuple[str, str]:
    """(token, idp_client_id) failing one check of the contract."""
    now = int(time.time())
    return {
        "wrong iss": (idp.mint(sub=sub, iss="https://evil.example"), idp.client_id),
        "aud without idp_client_id": (idp.mint(sub=sub, aud="second-client"), idp.client_id),
        "idp_client_id not configured": (idp.mint(sub=sub, aud="nope"), "nope"),
        "expired": (idp.mint(sub=sub, iat=now - 900, exp=now - 120), idp.client_id),
        "future iat": (idp.mint(sub=sub, iat=now + 600, exp=now + 900), idp.client_id),
        "unknown kid": (idp.mint(sub=sub, header={"kid": "nope"}), idp.client_id),
        "alg none": (idp.forge("none", sub=sub), idp.client_id),
        "HS256 with the public key": (idp.forge("hs256", sub=sub), idp.client_id),
        "another key with the IdP's kid": (idp.forge("impostor", sub=sub), idp.client_id),
        "no sub": (idp.mint(sub=None), idp.client_id),
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "wrong iss",
        "aud without idp_client_id",
        "idp_client_id not configured",
        "expired",
        "future iat",
        "unknown kid",
        "alg none",
        "HS256 with the public key",
        "another key with the IdP's kid",
        "no sub",
    ],
)
def test_every_token_check_is_401_invalid_grant(api, admin, app, idp, oidc_id, case):
    """Each check of the contract refuses the token of an existing, linked user with 401."""
    sub = f"sub-{secrets.token_hex(4)}"
    new_user(admin, identities=[{"idp_id": oidc_id, "sub": sub}])
    token, client_id = hostile(idp, sub, case)

    assert login(api, app, oidc_id, client_id, token) == (401, INVALID_TOKEN)


def test_unknown_provider_and_client_secret_rules(api, app, idp, oidc_id):
    """An unknown idp_id is 401 invalid_grant; no secret, `undefined` or a wrong one is 401
    invalid_client."""
    token = idp.mint(sub="whoever")
    bad_client = {"error": "invalid_client", "error_description": "Client authentication failed."}

    unknown = login(api, app, "not-configured", idp.client_id, token)
    answers = [
        api.request(
            AUTH_WITH_IDP, idp_form(app["client_id"], secret, oidc_id, idp.client_id, token)
        )
        for secret in (None, "undefined", app["client_secret"] + "x")
    ]

    assert unknown == (401, UNKNOWN_IDP)
    assert answers == [(401, bad_client)] * 3


def test_verified_email_links_unverified_does_not(api, admin, app, idp, oidc_id):
    """A verified e-mail links the user (the admin API then shows the identity); a token whose
    e-mail is unverified, or a user whose own e-mail is unverified, gets 401."""
    linked = new_user(admin)
    unverified_user = new_user(admin, verified=False)
    sub = f"sub-{secrets.token_hex(4)}"

    by_email = login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub, email=linked["email"]))
    token_unverified = login(
        api, app, oidc_id, idp.client_id,
        idp.mint(sub=sub + "-2", email=linked["email"], email_verified=False),
    )  # fmt: skip
    user_unverified = login(
        api, app, oidc_id, idp.client_id, idp.mint(sub=sub + "-3", email=unverified_user["email"])
    )

    assert by_email[0] == 200
    assert jwt_parts(by_email[1]["access_token"])[1]["sub"] == linked["id"]
    status, shown = admin.request("GET", f"/admin/v1/users/{linked['id']}")
    assert shown["identities"] == [{"idp_id": oidc_id, "sub": sub}]
    assert token_unverified == (401, NO_USER)
    assert user_unverified == (401, NO_USER)


def test_an_identity_of_another_user_is_not_stolen(api, admin, app, idp, oidc_id):
    """The identity is B's; A has the token's verified e-mail: B logs in, A stays unlinked."""
    sub = f"sub-{secrets.token_hex(4)}"
    a = new_user(admin)
    b = new_user(admin, identities=[{"idp_id": oidc_id, "sub": sub}])

    status, body = login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub, email=a["email"]))

    assert status == 200 and jwt_parts(body["access_token"])[1]["sub"] == b["id"]
    assert admin.request("GET", f"/admin/v1/users/{a['id']}")[1]["identities"] == []


def test_a_disabled_user_is_refused_and_their_sessions_end(api, admin, app, idp, oidc_id):
    """Disabling the user through the admin API: the next login is 401 and the earlier
    session's refresh token is dead."""
    sub = f"sub-{secrets.token_hex(4)}"
    user = new_user(admin, identities=[{"idp_id": oidc_id, "sub": sub}])
    _, first = login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub))

    assert admin.request("PATCH", f"/admin/v1/users/{user['id']}", {"disabled": True})[0] == 200
    again = login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub))

    assert again == (401, NO_USER)
    assert api.refresh(app["client_id"], first["refresh_token"]) == (401, INVALID_GRANT)


def test_facebook_through_the_graph_stand_in(api, admin, app, idp, facebook_id):
    """A Facebook user access token logs the linked user in; a token of another app is 401."""
    fb_user = f"{secrets.randbelow(10**9)}"
    user = new_user(admin, identities=[{"idp_id": facebook_id, "sub": fb_user}])

    status, body = login(api, app, facebook_id, idp.fb_app_id, idp.facebook_token(fb_user, None))
    foreign = login(
        api, app, facebook_id, idp.fb_app_id, idp.facebook_token(fb_user, None, app_id="42")
    )

    assert status == 200 and jwt_parts(body["access_token"])[1]["sub"] == user["id"]
    assert foreign == (401, INVALID_TOKEN)


def test_cached_keys_still_verify_while_the_idp_hangs(api, admin, app, idp, oidc_id):
    """Once the provider's keys are cached, its discovery and JWKS hanging changes nothing."""
    sub = f"sub-{secrets.token_hex(4)}"
    new_user(admin, identities=[{"idp_id": oidc_id, "sub": sub}])
    assert login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub))[0] == 200
    idp.fail("discovery", "stall")
    idp.fail("jwks", "stall")
    try:
        started = time.monotonic()
        cached = login(api, app, oidc_id, idp.client_id, idp.mint(sub=sub))
        elapsed = time.monotonic() - started
    finally:
        idp.fail("discovery", "ok")
        idp.fail("jwks", "ok")

    assert cached[0] == 200
    assert elapsed < 1.0


def test_a_provider_with_no_cached_key_while_stalled_is_503(api, cli, app, idp):
    """A provider whose discovery hangs before any key was fetched: 503 within about 2 s."""
    idp_id = f"cold-{secrets.token_hex(3)}"
    cli("idps", "add", "--id", idp_id, "--kind", "oidc", "--issuer", idp.issuer,
        "--client-id", idp.client_id)  # fmt: skip
    idp.fail("discovery", "stall")
    try:
        started = time.monotonic()
        answer = login(api, app, idp_id, idp.client_id, idp.mint(sub="anyone"))
        elapsed = time.monotonic() - started
    finally:
        idp.fail("discovery", "ok")

    assert answer == (503, UNAVAILABLE)
    assert elapsed < UNAVAILABLE_BOUND
