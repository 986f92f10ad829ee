"""POST /v1/auth/auth_with_idp, who logs in: the linked user, else the user whose verified e-mail
the token vouches for (linked on the way, never taken from another user), else 401; and the
session is the password grant's. Real app, real Redis, the local IdP over HTTP."""

from __future__ import annotations

import dataclasses

import pytest
from structlog.testing import capture_logs

from service import context
from service.api.appkeys import IDP_VERIFIER, SERVICES
from service.errors import ErrorCode, OAuthError
from service.metrics import METRICS
from service.models import ClientCredentials, Identity, TokenRequest
from service.oauth.idp_login import login_with_idp
from service.owners import Owner
from service.store.records import Change

from ...flows import INVALID_GRANT, REVOKE, TOKEN, bearer, jwt_parts, refresh_form
from ...social import NO_USER, OIDC_ID, SECOND_CLIENT, Social

TOKEN_KEYS = {"access_token", "token_type", "expires_in", "scope", "refresh_token"}


async def post(social: Social, path: str, form: dict[str, str], **kw) -> tuple[int, dict]:
    async with social.client.post(path, data=form, **kw) as resp:
        return resp.status, await resp.json()


async def test_the_linked_user_logs_in_with_the_password_grants_answer(social):
    """The user linked to (idp_id, sub): exactly 200, the password grant's body (scope user, a
    refresh token of a new session), an access token naming the user and the session."""
    user = await social.user(identities=(Identity(OIDC_ID, "sub-1"),))

    status, body, resp = await social.login(social.idp.mint(sub="sub-1", email="x@example.com"))

    assert status == 200
    assert set(body) == TOKEN_KEYS
    assert (body["token_type"], body["scope"]) == ("bearer", "user")
    assert body["expires_in"] == social.client.server.app[SERVICES].settings.tokens.access_ttl
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    _, claims = jwt_parts(body["access_token"])
    assert (claims["sub"], claims["scope"], claims["client_id"]) == (
        user.user_id,
        "user",
        social.app.client_id,
    )
    [session] = await social.sessions(user)
    assert claims["sid"] == str(session.ref) and body["refresh_token"].startswith(f"{session.ref}.")
    assert session.client_id == social.app.client_id and session.scope == "user"


async def test_the_session_refreshes_rotates_and_revokes_like_a_password_session(social):
    """The refresh token rotates (scope user), and revoking it ends the session at once."""
    await social.user(identities=(Identity(OIDC_ID, "sub-2"),))
    _, body, _ = await social.login(social.idp.mint(sub="sub-2"))

    status, refreshed = await post(
        social, TOKEN, refresh_form(social.app.client_id, body["refresh_token"])
    )
    assert status == 200 and refreshed["scope"] == "user"
    assert refreshed["refresh_token"] != body["refresh_token"]
    revoked = await post(
        social,
        REVOKE,
        {"token": refreshed["refresh_token"]},
        headers=bearer(refreshed["access_token"]),
    )
    after = await post(
        social, TOKEN, refresh_form(social.app.client_id, refreshed["refresh_token"])
    )

    assert revoked == (200, {})
    assert after == (401, INVALID_GRANT)


async def test_one_log_event_names_the_idp_and_the_user_never_the_token(social):
    """A login logs one token.issued event with the IdP id, the app and the user; no token."""
    user = await social.user(identities=(Identity(OIDC_ID, "sub-3"),))
    token = social.idp.mint(sub="sub-3")

    with capture_logs(processors=[context.merge_into_event]) as logs:
        _, body, _ = await social.login(token)

    [event] = [e for e in logs if e["event"] in ("token.issued", "token.failed")]
    assert event["event"] == "token.issued" and event["outcome"] == "ok"
    assert (event["idp_id"], event["user_id"], event["client_id"]) == (
        OIDC_ID,
        user.user_id,
        social.app.client_id,
    )
    assert event["session"] == jwt_parts(body["access_token"])[1]["sid"]
    text = repr(logs)
    assert not any(part in text for part in token.split("."))
    assert body["refresh_token"] not in text and body["access_token"] not in text


async def test_metrics_count_the_request_and_the_new_session(social):
    """The request metrics count endpoint auth_with_idp; the session counter goes up by one."""
    await social.user(identities=(Identity(OIDC_ID, "sub-4"),))
    metrics = social.client.server.app[METRICS]
    created = "tokenhouse_sessions_created_total"
    before = metrics.registry.get_sample_value(created)

    await social.login(social.idp.mint(sub="sub-4"))

    rendered = metrics.render().decode()
    assert metrics.registry.get_sample_value(created) == before + 1
    assert (
        'tokenhouse_requests_total{client_kind="marketplace",endpoint="auth_with_idp",'
        'grant="none",outcome="ok"} 1.0'
    ) in rendered


async def test_no_linked_user_and_no_user_with_the_email_is_401(social):
    """An identity nobody has, with an e-mail nobody has: 401 (the marketplace signs up)."""
    status, body, _ = await social.login(social.idp.mint(sub="nobody", email="nobody@example.com"))

    assert (status, body) == (401, NO_USER)


async def test_a_verified_email_links_the_identity_and_logs_the_user_in(social):
    """No link yet, the token says email_verified and the user's e-mail is verified: the
    identity is linked, the user logs in, and later logins find them by the link."""
    user = await social.user(email="alice@example.com")

    with capture_logs() as logs:
        first = await social.login(social.idp.mint(sub="alice-sub", email="Alice@Example.com"))
    later = await social.login(social.idp.mint(sub="alice-sub", email="changed@example.com"))

    assert (first[0], later[0]) == (200, 200)
    assert jwt_parts(first[1]["access_token"])[1]["sub"] == user.user_id
    stored = await social.store.users.get(user.user_id)
    assert stored.identities == (Identity(OIDC_ID, "alice-sub"),)
    assert [e["event"] for e in logs if e["event"] == "idp.identity_linked"] == [
        "idp.identity_linked"
    ]
    assert len(await social.sessions(user)) == 2


@pytest.mark.parametrize("flag", [False, "false", None], ids=["false", "string-false", "absent"])
async def test_an_unverified_token_email_links_nothing(social, flag):
    """A token whose email_verified is not true never links to the user with that e-mail."""
    user = await social.user(email="bob@example.com")

    status, body, _ = await social.login(
        social.idp.mint(sub="bob-sub", email="bob@example.com", email_verified=flag)
    )

    assert (status, body) == (401, NO_USER)
    assert (await social.store.users.get(user.user_id)).identities == ()


async def test_a_user_whose_own_email_is_unverified_is_not_linked(social):
    """The token's e-mail is verified, the user's own is not: 401, nothing linked."""
    user = await social.user(email="carol@example.com", email_verified=False)

    status, body, _ = await social.login(
        social.idp.mint(sub="carol-sub", email="carol@example.com")
    )

    assert (status, body) == (401, NO_USER)
    assert (await social.store.users.get(user.user_id)).identities == ()


async def test_a_user_with_another_account_at_the_provider_is_not_relinked(social):
    """The e-mail's user already has another sub at this provider: 401, their link stays."""
    user = await social.user(email="dave@example.com", identities=(Identity(OIDC_ID, "dave-1"),))

    status, body, _ = await social.login(social.idp.mint(sub="dave-2", email="dave@example.com"))

    assert (status, body) == (401, NO_USER)
    assert (await social.store.users.get(user.user_id)).identities == (Identity(OIDC_ID, "dave-1"),)


async def test_an_identity_linked_to_another_user_is_not_stolen(social):
    """The identity belongs to user B; user A has the token's verified e-mail: B logs in, and
    A gets no link."""
    a = await social.user(email="erin@example.com")
    b = await social.user(email="b@example.com", identities=(Identity(OIDC_ID, "shared"),))

    status, body, _ = await social.login(social.idp.mint(sub="shared", email="erin@example.com"))

    assert status == 200
    assert jwt_parts(body["access_token"])[1]["sub"] == b.user_id
    assert (await social.store.users.get(a.user_id)).identities == ()
    assert await social.sessions(a) == []


async def test_linking_by_email_refuses_an_identity_linked_meanwhile(social):
    """The store step links only a free identity: taken by another user between the lookup and
    the link, it answers TAKEN and changes nothing."""
    a = await social.user(email="frank@example.com")
    await social.user(identities=(Identity(OIDC_ID, "raced"),))

    outcome = await social.store.users.link_by_email(a, Identity(OIDC_ID, "raced"))

    assert outcome is Change.TAKEN
    assert (await social.store.users.get(a.user_id)).identities == ()


async def test_linking_by_email_refuses_a_user_changed_meanwhile(social):
    """The user's e-mail changed (or was unverified) after the lookup: no link."""
    a = await social.user(email="gina@example.com")
    assert await social.store.users.set_email_verified(a.user_id, False)

    outcome = await social.store.users.link_by_email(a, Identity(OIDC_ID, "gina"))

    assert outcome is Change.CHANGED_MEANWHILE
    assert (await social.store.users.get(a.user_id)).identities == ()
    assert await social.store.users.find_by_identity(OIDC_ID, "gina") is None


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "by-email"])
async def test_a_disabled_user_is_401(social, linked):
    """A disabled user, found by link or by e-mail, is refused and gets no session (or link)."""
    identities = (Identity(OIDC_ID, "hal"),) if linked else ()
    user = await social.user(email="hal@example.com", identities=identities, disabled=True)

    status, body, _ = await social.login(social.idp.mint(sub="hal", email="hal@example.com"))

    assert (status, body) == (401, NO_USER)
    assert await social.sessions(user) == []
    assert (await social.store.users.get(user.user_id)).identities == identities


class EndsSessionsAfterLookup:
    """The real user store, except that right after the login's lookup every session of the
    user ends (as a disable or "log out everywhere" landing at that moment would)."""

    def __init__(self, users, sessions) -> None:
        self._users = users
        self._sessions = sessions

    def __getattr__(self, name):
        return getattr(self._users, name)

    async def find_by_identity(self, idp_id, sub):
        user = await self._users.find_by_identity(idp_id, sub)
        if user is not None:
            await self._sessions.end_all(Owner.user(user.user_id))
        return user


async def test_a_login_racing_the_end_of_all_sessions_creates_none(social):
    """The session is created in one store step that checks the user's session generation: an
    end of all sessions between the lookup and that step leaves no session behind."""
    user = await social.user(identities=(Identity(OIDC_ID, "ivan"),))
    app = social.client.server.app
    services = dataclasses.replace(
        app[SERVICES], users=EndsSessionsAfterLookup(app[SERVICES].users, app[SERVICES].sessions)
    )
    form = {
        "idp_id": OIDC_ID,
        "idp_client_id": SECOND_CLIENT,
        "idp_token": social.idp.mint(sub="ivan", aud=SECOND_CLIENT),
    }
    req = TokenRequest(form, ClientCredentials(social.app.client_id, "marketplace-secret"))

    with pytest.raises(OAuthError) as caught:
        await login_with_idp(req, services, app[IDP_VERIFIER])

    assert (caught.value.code, caught.value.description, caught.value.detail) == (
        ErrorCode.INVALID_GRANT,
        NO_USER["error_description"],
        "the user changed during the login",
    )
    assert await social.sessions(user) == []
