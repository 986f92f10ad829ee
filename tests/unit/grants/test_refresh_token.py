"""refresh_token grant (RFC 6749 §6): rotation, grace, reuse detection, scope and ownership."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from service.oauth.outcomes import SessionEvent
from service.oauth.tokens import RefreshToken
from service.owners import Owner
from service.store.records import SessionLimits

from ...factories import make_client as new_app
from ...factories import make_user, store_of
from ..support import (
    INVALID_GRANT,
    assert_no_store,
    integ_login,
    invalid_request,
    login,
    refresh,
    services_of,
)


async def user_session(client, services, **app_kw):
    store = store_of(client)
    app = await new_app(store, **app_kw)
    user = await make_user(store)
    return app, user, await login(client, app, user)


def owner_sid(refresh_token: str) -> tuple[str, str]:
    owner, sid, _ = refresh_token.split(".")
    return owner, sid


async def test_refresh_rotates_and_keeps_scope(client, services):
    """A refresh returns a new access token, a rotated refresh token and the session's scope."""
    app, user, session = await user_session(client, services)

    status, body, resp = await refresh(client, app, session["refresh_token"])

    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert body["scope"] == "user" and body["token_type"] == "bearer"
    assert body["refresh_token"] != session["refresh_token"]
    assert owner_sid(body["refresh_token"]) == owner_sid(session["refresh_token"])
    assert body["access_token"] != session["access_token"]
    assert_no_store(resp)
    claims = services.jwt.verify(body["access_token"], services.clock())
    assert claims["sub"] == user.user_id and claims["client_id"] == app.client_id
    nxt = await refresh(client, app, body["refresh_token"])
    assert nxt[0] == 200


async def test_integration_refresh_needs_no_secret(client, services, store):
    """Integration clients refresh with client_id and refresh_token only, like the SDK does."""
    app = await new_app(store, kind="integration", secret="s3cret")
    session = await integ_login(client, app, "s3cret")

    status, body, _ = await refresh(client, app, session["refresh_token"])

    assert status == 200
    assert body["scope"] == "integ" and "refresh_token" in body


async def test_previous_token_within_grace_returns_the_same_current_token(client, services):
    """Parallel refreshes with one token all succeed and converge on one refresh token."""
    app, _, session = await user_session(client, services)

    answers = await asyncio.gather(
        *(refresh(client, app, session["refresh_token"]) for _ in range(4))
    )

    assert [a[0] for a in answers] == [200] * 4
    assert len({a[1]["refresh_token"] for a in answers}) == 1
    assert len({a[1]["access_token"] for a in answers}) == 4


async def test_previous_token_after_grace_revokes_the_session(make_client):
    """With refresh_grace=0, reusing a rotated token is theft: 401 and the session ends."""
    client = await make_client(tokens={"refresh_grace": 0})
    app, _, session = await user_session(client, services_of(client))
    rotated = await refresh(client, app, session["refresh_token"])

    reuse = await refresh(client, app, session["refresh_token"])
    after = await refresh(client, app, rotated[1]["refresh_token"])

    assert rotated[0] == 200
    assert (reuse[0], reuse[1]) == (401, INVALID_GRANT)
    assert (after[0], after[1]) == (401, INVALID_GRANT)


async def test_unknown_refresh_token_is_401(client, services, store):
    """A well-formed token that was never issued is 401 invalid_grant."""
    app = await new_app(store)

    status, body, _ = await refresh(client, app, RefreshToken.new(Owner.user("nobody")).value)

    assert status == 401
    assert body == INVALID_GRANT


@pytest.mark.parametrize("text", ["garbage", "a.b.c", "u-x." + "A" * 22 + "." + "A" * 42])
async def test_malformed_refresh_token_is_401(client, services, store, text):
    """A malformed refresh token is 401 invalid_grant."""
    app = await new_app(store)

    status, body, _ = await refresh(client, app, text)

    assert status == 401
    assert body == INVALID_GRANT


async def test_forged_secret_for_a_real_session_changes_nothing(client, services):
    """A token naming a real session with a wrong secret is 401 and the real token still works."""
    app, _, session = await user_session(client, services)
    owner, sid = owner_sid(session["refresh_token"])

    forged = await refresh(client, app, RefreshToken.new(owner, sid).value)
    real = await refresh(client, app, session["refresh_token"])

    assert (forged[0], forged[1]) == (401, INVALID_GRANT)
    assert real[0] == 200


async def test_idle_expired_refresh_token_is_401(client, services, store):
    """A session whose idle TTL ran out is gone: 401 invalid_grant."""
    app, _, session = await user_session(client, services)
    owner, sid = owner_sid(session["refresh_token"])
    await store.redis.pexpire(store.keys.session(owner, sid), 1)
    await asyncio.sleep(0.01)

    status, body, _ = await refresh(client, app, session["refresh_token"])

    assert status == 401
    assert body == INVALID_GRANT


async def test_refresh_past_absolute_lifetime_is_401_and_ends_session(client, services, store):
    """Past the session's absolute expiry the token is 401 and the session key is deleted."""
    app, _, session = await user_session(client, services)
    owner, sid = owner_sid(session["refresh_token"])
    key = store.keys.session(owner, sid)
    await store.redis.zadd(store.keys.index(owner), {sid: 1})  # expiry in 1970

    status, body, _ = await refresh(client, app, session["refresh_token"])

    assert status == 401
    assert body == INVALID_GRANT
    assert not await store.redis.exists(key)


async def test_revoked_refresh_token_is_401(client, services):
    """After revocation (RFC 7009) the refresh token is 401."""
    app, _, session = await user_session(client, services)
    resp = await client.post(
        "/v1/auth/revoke",
        data={"token": session["refresh_token"]},
        headers={"Authorization": f"Bearer {session['access_token']}"},
    )
    assert resp.status == 200

    status, body, _ = await refresh(client, app, session["refresh_token"])

    assert status == 401
    assert body == INVALID_GRANT


@pytest.mark.parametrize("which", ["session", "index"])
async def test_deleting_session_or_index_key_ends_the_session(client, services, store, which):
    """Operators revoke by deleting `s:{owner}:<sid>` or `sessions:{owner}`."""
    app, _, session = await user_session(client, services)
    owner, sid = owner_sid(session["refresh_token"])
    keys = store.keys
    await store.redis.delete(keys.session(owner, sid) if which == "session" else keys.index(owner))

    status, body, _ = await refresh(client, app, session["refresh_token"])

    assert status == 401
    assert body == INVALID_GRANT


async def test_refresh_token_of_another_client_is_401_and_stays_alive(client, services, store):
    """Another client's refresh token is 401 invalid_grant and the owner's token keeps working."""
    owner_app, _, session = await user_session(client, services)
    other_app = await new_app(store)

    stolen = await refresh(client, other_app, session["refresh_token"])
    mine = await refresh(client, owner_app, session["refresh_token"])

    assert (stolen[0], stolen[1]) == (401, INVALID_GRANT)
    assert mine[0] == 200
    assert mine[1]["refresh_token"] != session["refresh_token"]  # rotated: was still current


async def test_missing_refresh_token_is_400(client, services, store):
    """The refresh_token parameter is required."""
    app = await new_app(store)

    status, body, _ = await refresh(client, app, "")

    assert status == 400
    assert body == invalid_request("The refresh_token parameter is required.")


async def test_equal_scope_is_accepted(client, services):
    """Asking for the session's own scope is allowed."""
    app, _, session = await user_session(client, services)

    status, body, _ = await refresh(client, app, session["refresh_token"], scope="user")

    assert status == 200 and body["scope"] == "user"


async def test_narrower_scope_goes_to_the_access_token_and_the_session_keeps_its_scope(
    client, services, store
):
    """A narrower scope is put in the access token; the next refresh has the full scope again."""
    app = await new_app(store)
    user = await make_user(store)
    first = RefreshToken.new(Owner.user(user.user_id))
    await store.sessions.create(
        first.ref,
        client_id=app.client_id,
        scope="user public-read",
        digest=first.digest,
        limits=SessionLimits(idle_ms=60_000, max_ms=600_000, grace_ms=60_000, cap=10),
    )

    narrow = await refresh(client, app, first.value, scope="public-read")
    full = await refresh(client, app, narrow[1]["refresh_token"])

    assert narrow[0] == 200 and narrow[1]["scope"] == "public-read"
    claims = services.jwt.verify(narrow[1]["access_token"], services.clock())
    assert claims["scope"] == "public-read"
    assert full[0] == 200 and full[1]["scope"] == "user public-read"


async def test_wider_scope_is_400_and_consumes_nothing(client, services, store):
    """A wider scope is 400 invalid_scope and the presented token is still the current one."""
    app, _, session = await user_session(client, services)
    owner, sid = owner_sid(session["refresh_token"])

    status, body, _ = await refresh(
        client, app, session["refresh_token"], scope="user trusted:user"
    )

    assert status == 400
    assert body == {
        "error": "invalid_scope",
        "error_description": "The scope exceeds the session's scope.",
    }
    stored = await store.redis.hget(store.keys.session(owner, sid), "prev")
    assert stored is None
    again = await refresh(client, app, session["refresh_token"])
    assert again[0] == 200 and again[1]["refresh_token"] != session["refresh_token"]


async def test_malformed_scope_is_400(client, services):
    """A malformed scope on refresh is 400 invalid_scope."""
    app, _, session = await user_session(client, services)

    status, body, _ = await refresh(client, app, session["refresh_token"], scope="user\n")

    assert status == 400
    assert body == {
        "error": "invalid_scope",
        "error_description": "The scope parameter is malformed.",
    }


async def test_response_and_token_sizes(client, services):
    """A refresh response stays under 4 KB and its access token under 1 KB."""
    app, _, session = await user_session(client, services)

    _, body, _ = await refresh(client, app, session["refresh_token"])

    assert len(orjson.dumps(body)) < 4096
    assert len(body["access_token"]) < 1024


async def test_the_grant_reports_each_refresh_outcome_to_subscribers(make_client):
    """Creation, rotation and reuse after the grace window are reported as typed events."""
    client = await make_client(tokens={"refresh_grace": 0})
    services = services_of(client)
    events: list[SessionEvent] = []
    services.outcomes.subscribe(events.append)
    app = await new_app(store_of(client))
    user = await make_user(store_of(client))
    first = await login(client, app, user)

    assert (await refresh(client, app, first["refresh_token"]))[0] == 200
    assert (await refresh(client, app, first["refresh_token"]))[0] == 401

    assert events == [
        SessionEvent.CREATED,
        SessionEvent.ROTATED,
        SessionEvent.REUSE_DETECTED,
    ]


async def test_a_replay_within_grace_is_reported_but_rotates_nothing(client, services, store):
    """The previous token within the grace window reports GRACE_REPLAYED, not ROTATED."""
    events: list[SessionEvent] = []
    services.outcomes.subscribe(events.append)
    app = await new_app(store)
    user = await make_user(store)
    first = await login(client, app, user)

    assert (await refresh(client, app, first["refresh_token"]))[0] == 200
    assert (await refresh(client, app, first["refresh_token"]))[0] == 200

    assert events == [SessionEvent.CREATED, SessionEvent.ROTATED, SessionEvent.GRACE_REPLAYED]
