"""One error type with RFC 6749 §5.2 codes; the HTTP status comes from one table."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    INVALID_TOKEN = "invalid_token"
    TOO_MANY_REQUESTS = "too_many_requests"
    SERVER_ERROR = "server_error"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_TOO_LARGE = "request_too_large"
    # the admin API's conflicts (409)
    ALREADY_EXISTS = "already_exists"
    EMAIL_TAKEN = "email_taken"
    IDENTITY_TAKEN = "identity_taken"
    CONFLICT = "conflict"


# invalid_grant is 401, not RFC 6749's 400: the Sharetribe SDKs recover only on 401.
STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.INVALID_CLIENT: 401,
    ErrorCode.INVALID_GRANT: 401,
    ErrorCode.UNAUTHORIZED_CLIENT: 400,
    ErrorCode.UNSUPPORTED_GRANT_TYPE: 400,
    ErrorCode.INVALID_SCOPE: 400,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.TEMPORARILY_UNAVAILABLE: 503,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.ALREADY_EXISTS: 409,
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.IDENTITY_TAKEN: 409,
    ErrorCode.CONFLICT: 409,
}

DEFAULT_DESCRIPTION: dict[ErrorCode, str] = {
    ErrorCode.INVALID_REQUEST: "The request is malformed.",
    ErrorCode.INVALID_CLIENT: "Client authentication failed.",
    ErrorCode.INVALID_GRANT: "The grant is invalid, expired or revoked.",
    ErrorCode.UNAUTHORIZED_CLIENT: "This client may not use this grant type.",
    ErrorCode.UNSUPPORTED_GRANT_TYPE: "The grant type is not supported.",
    ErrorCode.INVALID_SCOPE: "The requested scope is invalid.",
    ErrorCode.INVALID_TOKEN: "The access token is invalid, expired or revoked.",
    ErrorCode.TOO_MANY_REQUESTS: "Too many attempts; retry later.",
    ErrorCode.SERVER_ERROR: "Internal error.",
    ErrorCode.TEMPORARILY_UNAVAILABLE: "The service is temporarily unavailable; retry later.",
    ErrorCode.NOT_FOUND: "Not found.",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed.",
    ErrorCode.REQUEST_TOO_LARGE: "The request is too large.",
    ErrorCode.ALREADY_EXISTS: "The id is taken.",
    ErrorCode.EMAIL_TAKEN: "Another user has this e-mail.",
    ErrorCode.IDENTITY_TAKEN: "This identity-provider account is linked to another user.",
    ErrorCode.CONFLICT: "The record changed meanwhile; retry.",
}


class OAuthError(Exception):
    """An error the client sees as ``{"error", "error_description"}``.

    ``description`` is shown to the client (ASCII, never echoes input); ``detail`` is only
    logged. ``retry_after`` sets a Retry-After header; ``www_authenticate`` a challenge.
    """

    def __init__(
        self,
        code: ErrorCode,
        description: str | None = None,
        *,
        detail: str | None = None,
        retry_after: int | None = None,
        www_authenticate: str | None = None,
    ) -> None:
        self.code = code
        self.description = description or DEFAULT_DESCRIPTION[code]
        self.detail = detail
        self.retry_after = retry_after
        self.www_authenticate = www_authenticate
        super().__init__(f"{code.value}: {self.description}")

    @property
    def status(self) -> int:
        return STATUS[self.code]


class StoreUnavailable(Exception):
    """Redis did not answer in time, refused, or is out of memory."""


class SecretsUnavailable(Exception):
    """A secret cannot be sealed or opened: no server key is configured, or another one sealed
    it. The message names the setting, never a secret."""


class Overloaded(Exception):
    """Too many argon2 verifications are waiting; the request is shed."""
