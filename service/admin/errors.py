"""Why an admin operation refused: the CLI prints the message, the admin API maps the kind to
a status (400, 404, 409).

The admin API shows only the public description, which never echoes the request.
"""

from __future__ import annotations

from enum import StrEnum


class ConflictKind(StrEnum):
    """What a conflict is about (the admin API's error code)."""

    ALREADY_EXISTS = "already_exists"
    EMAIL_TAKEN = "email_taken"
    IDENTITY_TAKEN = "identity_taken"
    CHANGED = "conflict"  # another change of the same record came first: read it again


class AdminError(Exception):
    """An operation was refused; ``str(error)`` is safe to show an operator (never a secret).

    ``public`` is what an API caller sees: fixed text that never echoes the request.
    """

    default_public = "The request was refused."

    def __init__(self, message: str, *, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public or self.default_public


class Invalid(AdminError):
    """The request itself is malformed (HTTP 400); the message states the rule, never the input."""

    def __init__(self, message: str, *, public: str | None = None) -> None:
        super().__init__(message, public=public or message[:1].upper() + message[1:] + ".")


class NotFound(AdminError):
    """No such user, app, session or identity provider (HTTP 404)."""

    default_public = "Not found."


class Conflict(AdminError):
    """The email, identity or id is taken (HTTP 409)."""

    default_public = "The id is taken."

    def __init__(
        self,
        message: str,
        *,
        kind: ConflictKind = ConflictKind.ALREADY_EXISTS,
        public: str | None = None,
    ) -> None:
        super().__init__(message, public=public)
        self.kind = kind
