"""The one error tree every adapter raises; the delivery engine acts on the class alone.

| class                   | engine does                                              |
|-------------------------|----------------------------------------------------------|
| RetryLaterError         | retry with exponential backoff and jitter                |
| RateLimitedError        | retry no earlier than ``until``                          |
| AuthExpiredError        | refresh the token once, then retry                       |
| AuthRevokedError        | mark the account needs_reauth, pause its deliveries      |
| InvalidContentError     | stop: dead at once, with the platform's reason           |
| OutcomeUnknownError     | mark unconfirmed; reconcile by looking the post up       |
"""

from __future__ import annotations

from datetime import datetime

from socialhub.errors import AuthError, PlatformError


class AdapterError(PlatformError):
    """Base of adapter errors; carries the HTTP status and platform error code when known."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class RetryLaterError(AdapterError):
    """A transient failure (5xx, connection refused before sending): safe to retry."""

    retryable = True


class RateLimitedError(RetryLaterError):
    """The platform asked us to wait; ``until`` is when it resets (None: unknown)."""

    def __init__(self, message: str, *, until: datetime | None, status: int | None = 429,
                 code: str | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.until = until


class AuthExpiredError(AdapterError, AuthError):
    """The access token expired; a refresh may fix it."""

    retryable = True


class AuthRevokedError(AdapterError, AuthError):
    """The token was revoked or the refresh failed for good: a person must reconnect."""

    #: The access token that was refused, when the token manager knows it: flagging the
    #: account then checks that no newer token was stored since. Never in the message.
    refused_token: str | None = None


class InvalidContentError(AdapterError):
    """The platform will never accept this content as it is (length, media, flags)."""


class OutcomeUnknownError(AdapterError):
    """The request may have reached the platform (e.g. timeout after sending)."""
