"""Errors of identity-provider configuration or verification, none carrying token text."""

from __future__ import annotations


class IdpError(Exception):
    """Verification failed; the message is a fixed reason, safe to log (never token text)."""


class IdpUnavailable(IdpError):
    """The provider was unreachable, slow or answered garbage (503 temporarily_unavailable)."""


class InvalidIdpToken(IdpError):
    """The token is not a valid token of this provider for this client (401 invalid_grant)."""


class IdpConfigError(ValueError):
    """An identity provider's configuration is unusable; the message lists every problem."""
