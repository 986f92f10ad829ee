"""Why an admin operation refused: the CLI prints the message, the admin API maps the kind to
a status (400, 404, 409)."""

from __future__ import annotations


class AdminError(Exception):
    """An operation was refused; ``str(error)`` is safe to show (never a secret)."""


class Invalid(AdminError):
    """The request itself is malformed (HTTP 400)."""


class NotFound(AdminError):
    """No such user, app or session (HTTP 404)."""


class Conflict(AdminError):
    """The email or id is taken (HTTP 409)."""
