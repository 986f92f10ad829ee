"""Owner and SessionRef: the one text form of session owners and session references."""

from __future__ import annotations

import pytest

from service.owners import Owner, OwnerKind, SessionRef

USER_ID = "0b7c2a6e-58a1-4d4e-9a51-1b8f0c7a2e11"


def test_owners_format_as_kind_dash_id_with_their_hash_tag():
    """A user owner is ``u-<id>``, a client owner ``c-<id>``; the hash tag wraps it in braces."""
    user, client = Owner.user(USER_ID), Owner.client("app-1")

    assert (user, client) == (f"u-{USER_ID}", "c-app-1")
    assert (user.kind, client.kind) == (OwnerKind.USER, OwnerKind.CLIENT)
    assert (user.id, client.id) == (USER_ID, "app-1")
    assert (user.is_user, client.is_user) == (True, False)
    assert user.hash_tag == f"{{u-{USER_ID}}}"
    assert f"th:sessions:{user.hash_tag}" == f"th:sessions:{{u-{USER_ID}}}"


def test_an_owner_parses_back_from_its_text():
    """parse(str(owner)) is the same owner."""
    for owner in (Owner.user(USER_ID), Owner.client("app-1")):
        assert Owner.parse(str(owner)) == owner
        assert isinstance(Owner.parse(str(owner)), Owner)


@pytest.mark.parametrize(
    "text", ["", "u-", "x-1", "u_1", "u-a.b", "u-" + "a" * 65, "u-1\n", " u-1", None, 7]
)
def test_anything_else_is_not_an_owner(text):
    """Wrong kind, empty or too long id, odd characters, non-strings: None."""
    assert Owner.parse(text) is None


def test_a_session_reference_formats_and_parses():
    """``<owner>.<session id>`` splits at the last dot into owner and 11-character id."""
    ref = SessionRef(Owner.user(USER_ID), "AAAAAAAAAAA")

    assert str(ref) == f"u-{USER_ID}.AAAAAAAAAAA"
    assert SessionRef.parse(str(ref)) == ref
    assert SessionRef.parse(f"u-{USER_ID}.short") is None
    assert SessionRef.parse(f"u-{USER_ID}.short", any_session_id=True) == (
        Owner.user(USER_ID),
        "short",
    )
    assert SessionRef.parse(f"u-{USER_ID}.", any_session_id=True) is None
