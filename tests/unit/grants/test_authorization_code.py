"""authorization_code ("log in as a user", the SDK's loginAs): RFC 6749 §4.1.3 with PKCE."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from service.loginas import pkce
from service.owners import Owner, SessionRef

from ...factories import REDIRECT_URI, VERIFIER, issue_code, make_operator, make_user, store_of
from ...factories import make_client as new_app
from ..support import (
    INTROSPECT,
    REVOKE,
    UNAUTHORIZED_CLIENT,
    assert_no_store,
    invalid_request,
    login,
    post,
    services_of,
    token,
)

REFUSED = {
    "error": "invalid_grant",
    "error_description": "The authorization code is invalid, expired or already used.",
}
SECRET = "app secret"


def redeem_form(app, code: str, /, **overrides: str | None) -> dict[str, str]:
    """What the SDK's loginAs sends: no secret, no scope."""
    form = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def redeem(client, app, code: str, /, **overrides: str | None):
    return await token(client, redeem_form(app, code, **overrides))


async def arrange(client, **app_kw):
    """A marketplace app (with a secret, so it may introspect), a user, an operator."""
    store = store_of(client)
    app = await new_app(store, secret=SECRET, **app_kw)
    user = await make_user(store)
    operator = await make_operator(store)
    return store, app, user, operator


async def introspect(client, app, access_token: str) -> dict:
    form = {"token": access_token, "client_id": app.client_id, "client_secret": SECRET}
    status, body, _ = await post(client, INTROSPECT, form)
    assert status == 200, body
    return body


def audit_events(logs) -> list[dict]:
    return [e for e in logs if e["event"] == "login_as.token"]


async def test_code_redeems_for_a_limited_token_without_refresh(client):
    """200 with exactly access_token, bearer, expires_in 1800, scope user:limited: no refresh."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    status, body, resp = await redeem(client, app, code)

    assert status == 200, body
    assert_no_store(resp)
    assert sorted(body) == ["access_token", "expires_in", "scope", "token_type"]
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "bearer",
        1800,
        "user:limited",
    )


async def test_token_names_the_user_and_the_operator_in_act(client):
    """sub is the user, act.sub the operator (RFC 8693 §4.1), with a session id of the user."""
    store, app, user, operator = await arrange(client)
    services = services_of(client)
    code = await issue_code(store, app, user, operator)

    _, body, _ = await redeem(client, app, code)

    claims = services.jwt.verify(body["access_token"], services.clock())
    assert claims["sub"] == user.user_id and claims["client_id"] == app.client_id
    assert claims["act"] == {"sub": operator.operator_id}
    assert claims["scope"] == "user:limited"
    assert claims["exp"] - claims["iat"] == 1800
    assert SessionRef.parse(claims["sid"]).owner == Owner.user(user.user_id)


async def test_token_has_a_session_without_refresh_token(client):
    """The token's session is listed among the user's, scope user:limited, ending with it."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    _, body, _ = await redeem(client, app, code)

    sessions = await store.sessions.list(Owner.user(user.user_id))
    assert [(s.client_id, s.scope) for s in sessions] == [(app.client_id, "user:limited")]
    assert 1800_000 < sessions[0].idle_ttl_ms <= (1800 + 5) * 1000
    raw = await store.redis.hgetall(store.keys.session(*sessions[0].ref))
    assert raw[b"cur"] == b""  # no refresh token digest: nothing can refresh it


async def test_issuance_is_logged_with_operator_user_and_app(client):
    """One login_as.token event: operator, user, app, outcome issued (ids only)."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    with capture_logs() as logs:
        await redeem(client, app, code)

    events = audit_events(logs)
    assert len(events) == 1
    assert {k: events[0][k] for k in ("operator", "user", "app", "outcome")} == {
        "operator": operator.operator_id,
        "user": user.user_id,
        "app": app.client_id,
        "outcome": "issued",
    }
    assert code not in repr(logs)


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"code_verifier": "x" * 43}, "wrong_verifier"),
        ({"code_verifier": pkce.s256(VERIFIER)}, "wrong_verifier"),  # the challenge, as plain
        ({"redirect_uri": REDIRECT_URI + "/"}, "wrong_redirect_uri"),
        ({"redirect_uri": "https://evil.example/api/login-as"}, "wrong_redirect_uri"),
        ({"code": "not-a-code"}, "unknown_code"),
        ({"code": "A" * 43}, "unknown_code"),
    ],
    ids=[
        "wrong-verifier",
        "plain-pkce",
        "redirect-uri-not-exact",
        "other-redirect-uri",
        "malformed-code",
        "unknown-code",
    ],
)
async def test_refusals_are_401_invalid_grant(client, overrides, outcome):
    """Wrong verifier, wrong redirect URI, an unknown code: 401 invalid_grant, reason logged."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    with capture_logs() as logs:
        status, body, _ = await redeem(client, app, code, **overrides)

    assert (status, body) == (401, REFUSED)
    assert [e["outcome"] for e in audit_events(logs)] == [outcome]


async def test_a_refused_attempt_spends_the_code(client):
    """A code is spent by any attempt: after a wrong verifier the right one is refused too."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)
    await redeem(client, app, code, code_verifier="x" * 43)

    status, body, _ = await redeem(client, app, code)

    assert (status, body) == (401, REFUSED)


async def test_code_of_another_client_is_refused(client):
    """A code confirmed for one app, redeemed by another: 401 invalid_grant."""
    store, app, user, operator = await arrange(client)
    other = await new_app(store)
    code = await issue_code(store, app, user, operator)

    with capture_logs() as logs:
        status, body, _ = await redeem(client, other, code)

    assert (status, body) == (401, REFUSED)
    assert [e["outcome"] for e in audit_events(logs)] == ["wrong_client"]


async def test_expired_code_is_refused(client):
    """A code past its lifetime is unknown: 401 invalid_grant."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator, ttl_ms=20)
    await asyncio.sleep(0.08)

    status, body, _ = await redeem(client, app, code)

    assert (status, body) == (401, REFUSED)


async def test_reused_code_is_refused_and_revokes_the_first_token(client):
    """RFC 6749 §4.1.2: a second use is 401 and the token of the first use dies with it."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)
    _, first, _ = await redeem(client, app, code)
    assert (await introspect(client, app, first["access_token"]))["active"] is True

    with capture_logs() as logs:
        status, body, _ = await redeem(client, app, code)

    assert (status, body) == (401, REFUSED)
    assert await introspect(client, app, first["access_token"]) == {"active": False}
    assert await store.sessions.list(Owner.user(user.user_id)) == []
    assert [(e["outcome"], e["user"]) for e in audit_events(logs)] == [
        ("reused_code", user.user_id)
    ]


async def test_parallel_redemptions_issue_at_most_one_live_token(client):
    """Two redemptions at once: one 200 at most, and what it got is revoked by the other."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    results = await asyncio.gather(redeem(client, app, code), redeem(client, app, code))

    statuses = sorted(status for status, _, _ in results)
    assert statuses in ([200, 401], [401, 401])
    for status, body, _ in results:
        if status == 200:
            assert await introspect(client, app, body["access_token"]) == {"active": False}


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "code_verifier"])
async def test_missing_parameter_is_400_and_spends_nothing(client, missing):
    """A missing parameter is 400 invalid_request; the code still redeems afterwards."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    status, body, _ = await redeem(client, app, code, **{missing: None})
    again, _, _ = await redeem(client, app, code)

    assert (status, body) == (400, invalid_request(f"The {missing} parameter is required."))
    assert again == 200


async def test_integration_client_is_unauthorized(client):
    """Only marketplace apps log in as a user: 400 unauthorized_client."""
    store, app, user, operator = await arrange(client)
    integ = await new_app(store, kind="integration", secret="integ secret")
    code = await issue_code(store, integ, user, operator)

    status, body, _ = await token(
        client, {**redeem_form(integ, code), "client_secret": "integ secret"}
    )

    assert (status, body) == (400, UNAUTHORIZED_CLIENT)


async def test_a_wrong_secret_is_refused_even_though_none_is_needed(client):
    """A public redemption needs no secret, but one presented must be right: 401."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    status, body, _ = await token(client, {**redeem_form(app, code), "client_secret": "wrong"})

    assert (status, body) == (
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed."},
    )


@pytest.mark.parametrize("change", ["operator-disabled", "operator-deleted"])
async def test_code_of_an_operator_who_may_no_longer_act_is_refused(client, change):
    """The confirming operator disabled or deleted before redemption: 401 invalid_grant."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)
    if change == "operator-disabled":
        await store.operators.set_disabled(operator.operator_id, True)
    else:
        await store.operators.delete(operator)

    with capture_logs() as logs:
        status, body, _ = await redeem(client, app, code)

    assert (status, body) == (401, REFUSED)
    assert [e["outcome"] for e in audit_events(logs)] == ["operator_disabled"]


@pytest.mark.parametrize(
    ("change", "outcome"), [("disabled", "user_disabled"), ("deleted", "user_unknown")]
)
async def test_code_for_a_user_disabled_or_deleted_since_is_refused(client, change, outcome):
    """The user disabled or deleted between confirmation and redemption: 401 invalid_grant."""
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)
    if change == "disabled":
        await store.sessions.end_all(Owner.user(user.user_id), None)
        await store.users.set_disabled(user.user_id, True)
    else:
        await store.users.delete(user)

    with capture_logs() as logs:
        status, body, _ = await redeem(client, app, code)

    assert (status, body) == (401, REFUSED)
    assert [e["outcome"] for e in audit_events(logs)] == [outcome]


@pytest.mark.parametrize("how", ["end-all-sessions", "disable-user", "delete-user"])
async def test_ending_the_users_sessions_ends_the_login_as_token(client, how):
    """Logging the user out everywhere, disabling or deleting them: introspection says inactive."""
    from service.store.records import UserChange

    store, app, user, operator = await arrange(client)
    _, body, _ = await redeem(client, app, await issue_code(store, app, user, operator))
    owner = Owner.user(user.user_id)
    if how == "end-all-sessions":
        await store.sessions.end_all(owner)
    elif how == "disable-user":
        await store.sessions.end_all(owner, UserChange(disabled=True))
    else:
        await store.users.delete(user)

    assert await introspect(client, app, body["access_token"]) == {"active": False}


async def test_a_login_as_token_cannot_be_exchanged_for_trusted_user(client):
    """token_exchange refuses a user:limited subject with 400 invalid_scope (no SDK refresh)."""
    store, app, user, operator = await arrange(client)
    _, limited, _ = await redeem(client, app, await issue_code(store, app, user, operator))

    status, body, _ = await token(
        client,
        {
            "grant_type": "token_exchange",
            "client_id": app.client_id,
            "client_secret": SECRET,
            "subject_token": limited["access_token"],
        },
    )

    assert (status, body) == (
        400,
        {"error": "invalid_scope", "error_description": "A login-as token cannot be exchanged."},
    )


async def test_the_users_own_token_still_exchanges(client):
    """The refusal is for user:limited only: the user's own user token still exchanges."""
    store, app, user, _ = await arrange(client)
    session = await login(client, app, user)

    status, body, _ = await token(
        client,
        {
            "grant_type": "token_exchange",
            "client_id": app.client_id,
            "client_secret": SECRET,
            "subject_token": session["access_token"],
        },
    )

    assert status == 200 and body["scope"] == "trusted:user"


async def test_revoking_the_login_as_token_ends_it(client):
    """RFC 7009 with the token itself as Bearer: 200, then the token is inactive."""
    store, app, user, operator = await arrange(client)
    _, body, _ = await redeem(client, app, await issue_code(store, app, user, operator))
    bearer = {"Authorization": f"Bearer {body['access_token']}"}

    status, revoked, _ = await post(client, REVOKE, {"token": body["access_token"]}, bearer)

    assert (status, revoked) == (200, {})
    assert await introspect(client, app, body["access_token"]) == {"active": False}


async def test_grant_can_be_switched_off(make_client):
    """grants.enabled without authorization_code: unsupported, and not in the metadata."""
    client = await make_client(
        grants={"enabled": "client_credentials password token_exchange refresh_token"}
    )
    store, app, user, operator = await arrange(client)
    code = await issue_code(store, app, user, operator)

    status, body, _ = await redeem(client, app, code)
    metadata = await (await client.get("/.well-known/oauth-authorization-server")).json()

    assert (status, body) == (
        400,
        {
            "error": "unsupported_grant_type",
            "error_description": "The grant type is not supported.",
        },
    )
    assert "authorization_code" not in metadata["grant_types_supported"]
    assert metadata["response_types_supported"] == []
    assert "code_challenge_methods_supported" not in metadata


async def test_no_refresh_token_can_be_made_for_the_login_as_session(client):
    """A refresh token forged for the session's id is refused: the session holds no digest."""
    from service.oauth.tokens import RefreshToken

    store, app, user, operator = await arrange(client)
    services = services_of(client)
    _, body, _ = await redeem(client, app, await issue_code(store, app, user, operator))
    ref = SessionRef.parse(services.jwt.verify(body["access_token"], services.clock())["sid"])
    forged = RefreshToken.new(ref.owner, ref.sid).value

    status, answer, _ = await token(
        client, {"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": forged}
    )

    assert (status, answer["error"]) == (401, "invalid_grant")
    assert (await introspect(client, app, body["access_token"]))["active"] is True


async def test_revoke_with_the_token_of_an_ended_session_is_401(client):
    """Once the user's sessions end, the login-as token as Bearer on revoke is 401 invalid_token."""
    store, app, user, operator = await arrange(client)
    _, body, _ = await redeem(client, app, await issue_code(store, app, user, operator))
    await store.sessions.end_all(Owner.user(user.user_id))

    status, answer, _ = await post(
        client,
        REVOKE,
        {"token": body["access_token"]},
        {"Authorization": f"Bearer {body['access_token']}"},
    )

    assert (status, answer) == (
        401,
        {
            "error": "invalid_token",
            "error_description": "The access token is invalid, expired or revoked.",
        },
    )
