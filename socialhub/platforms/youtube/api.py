"""What every YouTube Data API call shares: its OAuth scopes and its error answers.

Google answers ``{"error":{"code","message","errors":[{"reason"}]}}`` and the
*reason* decides (PLATFORMS.md §2.10). Quota is per Google Cloud project and
resets at midnight Pacific time: a 403 ``quotaExceeded`` /
``uploadLimitExceeded`` is a RateLimitedError until then, never an error to
retry sooner. A missing scope means a person must reconnect.

It lives apart from the adapter so that the adapter's calls and the resumable
byte transfer (``upload``) map errors the same way without importing
each other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
)
from socialhub.platforms.http import parse_reset, raise_for_response

SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_MANAGE = "https://www.googleapis.com/auth/youtube.force-ssl"
PACIFIC = ZoneInfo("America/Los_Angeles")
_QUOTA_REASONS = ("quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded")
_RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")
_REASON_HINTS = {
    "invalidTitle": "the title is empty, over 100 characters or contains < or >",
    "invalidDescription": "the description is over 5000 bytes or contains < or >",
    "invalidTags": "the tags are over 500 characters together",
    "invalidCategoryId": "the category_id option is not a YouTube category",
    "commentsDisabled": "comments are disabled on this video",
    "videoNotFound": "the video does not exist",
}


def next_pacific_midnight(now: datetime | None = None) -> datetime:
    """The next midnight in America/Los_Angeles (when YouTube quota resets), in UTC."""
    local = (now or datetime.now(UTC)).astimezone(PACIFIC)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)


def _google_reason(response: httpx.Response) -> str | None:
    try:
        errors = response.json()["error"]["errors"]
        return str(errors[0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def raise_for_google(response: httpx.Response, *, scope: str = SCOPE_MANAGE) -> None:
    """Raise the adapter error for a YouTube error answer; return for 1xx–3xx.

    Args:
        response: any answer of the Data API or its upload endpoint.
        scope: the scope the call needed, named when the token lacks it.

    Raises:
        RateLimitedError: the project's daily quota is spent (until the next
            Pacific midnight) or a rate limit was hit (until the reset headers,
            else a minute).
        AuthExpiredError: HTTP 401; refreshing the access token may fix it.
        AuthRevokedError: the token lacks ``scope``: a person must reconnect.
        InvalidContentError: a reason about the content (title, tags…), with a hint.
        AdapterError: anything else, as ``http.raise_for_response`` maps it.
    """
    status = response.status_code
    if status < 400:
        return
    reason = _google_reason(response)
    if reason in _QUOTA_REASONS:
        raise RateLimitedError(
            f"youtube: {reason}: the project's daily YouTube quota is spent; it resets at "
            "midnight Pacific time", until=next_pacific_midnight(), status=status, code=reason)
    if reason in _RATE_REASONS or status == 429:
        until = parse_reset(response.headers) or datetime.now(UTC) + timedelta(seconds=60)
        raise RateLimitedError(f"youtube: HTTP {status}: {reason or 'rate limited'}",
                               until=until, status=status, code=reason)
    if status == 401:
        raise AuthExpiredError(f"youtube: HTTP 401: {reason or 'invalid credentials'}",
                               status=status, code=reason, hint="refreshing the access token")
    if reason in ("insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        raise AuthRevokedError(f"youtube: the token lacks the scope {scope}", status=status,
                               code=reason, hint="reconnect: socialhub accounts connect youtube")
    if reason in _REASON_HINTS and status < 500:
        raise InvalidContentError(f"youtube: HTTP {status}: {reason}: {_REASON_HINTS[reason]}",
                                  status=status, code=reason)
    raise_for_response(response, platform="youtube")
