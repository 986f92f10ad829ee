"""The operator's session cookie: name, attributes, ids and their digests."""

from __future__ import annotations

from service.loginas import session


def test_secure_cookie_uses_the_host_prefix():
    """Over https the cookie is __Host- prefixed: no sibling host can set or shadow it."""
    assert session.cookie_name(secure=True) == "__Host-tokenhouse-operator"


def test_plain_cookie_has_no_prefix():
    """Over http (development) the prefix is not allowed, so the plain name is used."""
    assert session.cookie_name(secure=False) == "tokenhouse-operator"


def test_attributes_over_https():
    """HttpOnly, SameSite=Lax, Path=/, Secure, and the short lifetime given."""
    assert session.cookie_attributes(secure=True, max_age=900) == {
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
        "max_age": 900,
        "secure": True,
    }


def test_attributes_over_http_are_not_secure():
    """Over plain http the cookie cannot be Secure (the browser would drop it)."""
    assert "secure" not in session.cookie_attributes(secure=False, max_age=600)


def test_session_lifetimes_are_short():
    """A signed-in session lasts 15 minutes, a sign-in form 10."""
    assert (session.SESSION_TTL, session.ANONYMOUS_TTL) == (900, 600)


def test_new_ids_are_random_and_well_formed():
    """Session ids are 43 base64url characters and do not repeat."""
    ids = {session.new_session_id() for _ in range(100)}

    assert len(ids) == 100 and all(session.is_session_id(i) for i in ids)


def test_malformed_cookie_values_are_not_session_ids():
    """Cookie values of another shape are ignored as sessions."""
    assert [session.is_session_id(v) for v in (None, "", "a" * 42, "a" * 42 + "!")] == [False] * 4


def test_digest_does_not_contain_the_id():
    """The server keys a session by a 128-bit digest, never by the id itself."""
    sid = session.new_session_id()

    digest = session.session_digest(sid)

    assert len(digest) == 32 and sid not in digest and digest == session.session_digest(sid)
