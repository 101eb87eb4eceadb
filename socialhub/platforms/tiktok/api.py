"""TikTok's answer envelope and its error codes, mapped once to socialhub's errors.

Every Content Posting API answer has the shape
``{"data":{…},"error":{"code","message","log_id"}}`` (PLATFORMS.md §2.11), and
``error.code`` — not the HTTP status — says what went wrong: ``"ok"`` is
success, ``access_token_invalid`` wants a refresh, a missing scope or a banned
account wants a person, the spam-risk codes are rate limits (an hour unless the
headers say otherwise).

It lives apart from the adapter so that the adapter's calls and the chunked
upload (``upload``) read answers the same way without importing each other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import parse_reset, raise_for_response

_RATE_CODES = ("rate_limit_exceeded", "spam_risk_too_many_posts",
               "spam_risk_too_many_pending_share")


def answer_data(response: httpx.Response, *, scope: str) -> dict[str, Any]:
    """The ``data`` of a good answer (``{}`` when it has none); an error answer raises.

    Args:
        response: any answer of TikTok's API.
        scope: the scope the call needed, named when the token lacks it.

    Raises:
        AuthExpiredError: ``access_token_invalid``: refreshing may fix it.
        AuthRevokedError: the token lacks ``scope``, or TikTok banned the account
            from posting: a person must act.
        RateLimitedError: a rate-limit or spam-risk code, or HTTP 429.
        InvalidContentError: TikTok refused the post (with a hint where one helps).
        RetryLaterError: TikTok failed (5xx, ``internal_error``).
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    code = str(error.get("code")) if isinstance(error, dict) else None
    if response.status_code < 400 and code in (None, "ok"):
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    status = response.status_code
    text = f"tiktok: HTTP {status}: {code or 'error'}: {' '.join(message.split())[:200]}"
    if code == "access_token_invalid":
        raise AuthExpiredError(text, status=status, code=code, hint="refreshing the token")
    if code == "scope_not_authorized":
        raise AuthRevokedError(f"tiktok: the token lacks the scope {scope}", status=status,
                               code=code, hint="reconnect: socialhub accounts connect tiktok")
    if code == "spam_risk_user_banned_from_posting":
        raise AuthRevokedError(text, status=status, code=code,
                               hint="TikTok has blocked this account from posting")
    if code in _RATE_CODES or status == 429:
        until = parse_reset(response.headers) or datetime.now(UTC) + timedelta(
            seconds=60 if code == "rate_limit_exceeded" else 3600)
        raise RateLimitedError(text, until=until, status=status, code=code)
    if code == "unaudited_client_can_only_post_to_private_accounts":
        raise InvalidContentError(text, status=status, code=code,
                                  hint="use privacy SELF_ONLY until TikTok audits the app")
    if code == "url_ownership_unverified":
        raise InvalidContentError(text, status=status, code=code,
                                  hint="verify the media URL's domain in TikTok's portal")
    if status >= 500 or code == "internal_error":
        raise_for_response(response, platform="tiktok")
        raise RetryLaterError(text, status=status, code=code)
    raise_for_response(response, platform="tiktok")
    raise InvalidContentError(text, status=status, code=code)
