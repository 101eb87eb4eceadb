"""X's error answers (API v2), mapped once to socialhub's errors.

Facts it relies on (PLATFORMS.md §2.1): errors are RFC 7807 problems
(``type`` ``…/2/problems/usage-capped`` …), a 200 may carry ``errors`` beside
(or instead of) ``data``, and rate limits come as ``x-rate-limit-*`` headers
(reset = Unix seconds) with a 429 — plus a 24-hour user cap that outlasts the
15-minute window. A spent usage cap follows the billing cycle, which X does
not tell. A 403 about scopes means a person must reconnect.

It lives apart from the adapter so that the adapter's calls and the media
upload (``media``) read answers the same way without importing each other.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialhub.platforms.errors import AuthRevokedError, RateLimitedError
from socialhub.platforms.http import parse_reset, raise_for_response

_PROBLEMS = "/2/problems/"
#: The scopes each kind of call needs, to name the missing one in a 403.
_NEEDED = {"tweet": ("tweet.write", "tweet.read", "users.read"), "media": ("media.write",),
           "read": ("tweet.read", "users.read")}


def response_json(response: httpx.Response) -> Any:
    """The answer's JSON body, or None when it is empty or not JSON."""
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def raise_for_x(response: httpx.Response, *, need: str, scopes: Collection[str]) -> None:
    """Raise the adapter error for an X error answer (status ≥ 400).

    Args:
        response: the failed answer.
        need: the kind of call (``"tweet"``, ``"media"`` or ``"read"``), to name
            the scope a 403 is missing.
        scopes: the scopes the token was granted.

    Raises:
        RateLimitedError: a usage cap (until a guess: X does not say) or a rate
            limit (until the reset headers, the 24-hour cap's when it is spent).
        AuthRevokedError: a 403 about the token's scopes or client.
        AdapterError: anything else, as ``http.raise_for_response`` maps it.
    """
    status = response.status_code
    body = response_json(response)
    problem = str(body.get("type") or "") if isinstance(body, dict) else ""
    detail = str(body.get("detail") or body.get("title") or "") if isinstance(
        body, dict) else ""
    if problem.endswith(_PROBLEMS + "usage-capped") or (
            status == 429 and "usage" in detail.lower() and "cap" in detail.lower()):
        period = str(body.get("period") or "") if isinstance(body, dict) else ""
        until = parse_reset(response.headers) or _cap_reset(period)
        raise RateLimitedError(f"x: usage cap exceeded ({period or 'plan'} cap): {detail}; "
                               "wait for it to reset or raise the X API plan",
                               until=until, status=status, code="usage-capped")
    if status == 429:
        raise RateLimitedError(f"x: rate limit exceeded: {detail or 'Too Many Requests'}",
                               until=_rate_reset(response.headers), status=429,
                               code=problem.rsplit("/", 1)[-1] or "88")
    if status == 403 and _is_scope_problem(problem, detail):
        missing = [s for s in _NEEDED[need] if s not in scopes] or list(_NEEDED[need])
        raise AuthRevokedError(f"x: HTTP 403: the token is not allowed to do this "
                               f"(needs scope {' '.join(missing)}): {detail}",
                               status=403, code=problem.rsplit("/", 1)[-1] or None,
                               hint="reconnect it: socialhub accounts connect x")
    raise_for_response(response, platform="x")


def _is_scope_problem(problem: str, detail: str) -> bool:
    lowered = detail.lower()
    return (problem.endswith(("unsupported-authentication", "client-forbidden"))
            or "scope" in lowered or "oauth2 user context" in lowered)


def _rate_reset(headers: httpx.Headers) -> datetime | None:
    # A spent 24-hour user cap outlasts the 15-minute window: wait for the later reset.
    if headers.get("x-user-limit-24hour-remaining") == "0":
        reset = parse_reset({"x-rate-limit-reset": headers.get("x-user-limit-24hour-reset", "")})
        if reset is not None:
            return reset
    return parse_reset(headers)


def _cap_reset(period: str) -> datetime:
    # X does not say when a usage cap resets (it follows the billing cycle): check daily.
    now = datetime.now(UTC)
    return now + (timedelta(days=1) if period.lower() == "monthly" else timedelta(hours=1))
