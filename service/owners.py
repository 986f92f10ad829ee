"""Session owners (``u-<user id>``, ``c-<client id>``) with the session references built on them.

An owner is a user (password logins) or an integration client (its client_credentials
sessions). Its text form names the owner's Redis Cluster hash tag, starts every refresh token
and every ``sid`` claim, so it is parsed, formatted and matched here only.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

# The one pattern of an owner's text form; refresh tokens and log redaction build on it. An
# owner's id (a user id, or an integration client's id) is what its tokens and keys can carry.
OWNER_ID_PATTERN = r"[A-Za-z0-9-]{1,64}"
OWNER_PATTERN = rf"[uc]-{OWNER_ID_PATTERN}"
SESSION_ID_PATTERN = r"[A-Za-z0-9_-]{11}"
_OWNER = re.compile(OWNER_PATTERN)
_OWNER_ID = re.compile(OWNER_ID_PATTERN)
_SESSION_ID = re.compile(SESSION_ID_PATTERN)


class OwnerKind(StrEnum):
    USER = "u"
    CLIENT = "c"


class Owner(str):
    """Whose sessions these are, as text (``u-<user id>`` or ``c-<client id>``).

    A ``str`` so that it formats into keys and tokens at no cost; build one with ``user``,
    ``client`` or ``parse``.
    """

    __slots__ = ()

    @classmethod
    def user(cls, user_id: str) -> Owner:
        return cls(f"{OwnerKind.USER.value}-{user_id}")

    @classmethod
    def client(cls, client_id: str) -> Owner:
        return cls(f"{OwnerKind.CLIENT.value}-{client_id}")

    @staticmethod
    def valid_id(owner_id: str) -> bool:
        """Can a user or client with this id own sessions (1-64 letters, digits, hyphens)?"""
        return _OWNER_ID.fullmatch(owner_id) is not None

    @classmethod
    def parse(cls, text: object) -> Owner | None:
        """The owner ``text`` names, or None when it is not an owner's text form."""
        if isinstance(text, str) and _OWNER.fullmatch(text):
            return cls(text)
        return None

    @property
    def kind(self) -> OwnerKind:
        return OwnerKind(self[0])

    @property
    def is_user(self) -> bool:
        return self[0] == OwnerKind.USER.value

    @property
    def id(self) -> str:
        """The user id or the client id."""
        return self[2:]

    @property
    def hash_tag(self) -> str:
        """The Redis Cluster hash tag every key of this owner carries."""
        return f"{{{self}}}"


class SessionRef(NamedTuple):
    """One session, named ``<owner>.<session id>`` (the ``sid`` claim, the CLI's session id)."""

    owner: Owner
    sid: str

    def __str__(self) -> str:
        return f"{self.owner}.{self.sid}"

    @classmethod
    def parse(cls, text: object, *, any_session_id: bool = False) -> SessionRef | None:
        """The session ``text`` names, or None when malformed. Tokens carry 11-character
        session ids; ``any_session_id`` also admits older ones (an operator naming a session)."""
        if not isinstance(text, str):
            return None
        owner_text, _, sid = text.rpartition(".")
        owner = Owner.parse(owner_text)
        if owner is None or not (sid if any_session_id else _SESSION_ID.fullmatch(sid)):
            return None
        return cls(owner, sid)


__all__ = [
    "OWNER_ID_PATTERN",
    "OWNER_PATTERN",
    "SESSION_ID_PATTERN",
    "Owner",
    "OwnerKind",
    "SessionRef",
]
