"""The one HTTP module every adapter uses: the client, rate-limit headers, error mapping.

Adapters never interpret a status code or a transport exception themselves:
``send`` turns transport failures into "retry later" or "outcome unknown"
(depending on whether the request can have reached the platform), and
``raise_for_response`` turns error responses into the ``platforms.errors``
tree once, the same way for every network. Messages name the platform, the
status and the platform's own reason; they never carry tokens, query strings
or request bodies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from socialhub import __version__
from socialhub.platforms.errors import (
    AdapterError,
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.security.redact import redact
from socialhub.security.tls import verify_context

USER_AGENT = f"socialhub/{__version__}"

#: Error codes or message fragments meaning "the access token expired" (a refresh may fix it).
DEFAULT_EXPIRED_CODES: tuple[str, ...] = ("ExpiredToken", "token_expired", "expired")
#: Error codes or message fragments meaning "a person must reconnect".
DEFAULT_REVOKED_CODES: tuple[str, ...] = (
    "revoked", "invalid_grant", "invalid_token", "ACCESS_DENIED", "insufficient_scope",
    "suspended",
)

# Rate-limit reset values below this are "seconds from now" (Reddit, the IETF draft);
# above it they are Unix epochs (X, Bluesky). 10**9 seconds is 2001-09-09.
_EPOCH_THRESHOLD = 1_000_000_000
_MAX_MESSAGE = 300
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Seconds an idle pooled connection is kept for reuse: under the 5 s after which
#: Node's HTTP server (the reference Bluesky PDS, many APIs' front ends) closes one.
#: At httpx's default (also 5 s) a post could be written into a connection the server
#: was closing at that moment: the send then fails after writing, its outcome unknown,
#: and the delivery waits for a look-up instead of being published.
KEEPALIVE_EXPIRY_S = 4.0


def make_client(base_url: str, *, timeout_s: float,
                headers: Mapping[str, str] | None = None) -> httpx.Client:
    """Build the httpx client an adapter uses for one platform.

    Args:
        base_url: the platform's API root (relative URLs in requests resolve against it).
        timeout_s: the read/write timeout; connecting gets at most 10 s of it.
        headers: extra default headers (never put a token here if it can rotate).

    Returns:
        A client with socialhub's User-Agent, JSON ``Accept``, no redirects
        followed (a redirect could carry the Authorization header elsewhere) and idle
        connections reused for :data:`KEEPALIVE_EXPIRY_S` at most, verifying servers
        with the process's one TLS context (``security.tls``).
    """
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    merged.update(headers or {})
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    return httpx.Client(base_url=base_url, timeout=timeout, headers=merged,
                        follow_redirects=False, verify=verify_context(),
                        limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S))


def _parse_number_reset(value: str, now: datetime) -> datetime | None:
    number = float(value)
    if number < 0:
        return None
    if number < _EPOCH_THRESHOLD:
        return now + timedelta(seconds=number)
    if number > _EPOCH_THRESHOLD * 1000:  # milliseconds since the epoch
        number /= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def _parse_any_reset(value: str, now: datetime) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return _parse_number_reset(value, now)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_reset(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """When the platform says we may try again, from its response headers.

    Reads, in this order: ``Retry-After`` (seconds or an HTTP-date),
    ``x-rate-limit-reset`` (X: Unix seconds), ``RateLimit-Reset`` and
    ``X-RateLimit-Reset`` (Unix seconds; seconds-until-reset when the number
    is small, as Reddit and the IETF draft send; or an ISO-8601 timestamp, as
    Mastodon sends). Header names are matched case-insensitively.

    Args:
        headers: the response headers.
        now: the current time (UTC); defaults to the clock.

    Returns:
        The reset instant in UTC, or None when no header gives one.
    """
    now = now or datetime.now(UTC)
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        raw = lowered.get(name)
        if raw is None:
            continue
        reset = _parse_any_reset(str(raw), now)
        if reset is not None:
            return reset
    return None


def error_details(response: httpx.Response) -> tuple[str | None, str]:
    """The platform's error code (if any) and human message, from a response body.

    Understands the common shapes: ``{"error": "msg"}`` (Mastodon),
    ``{"error": "Code", "message": "msg"}`` (Bluesky), OAuth
    ``{"error": "code", "error_description": "msg"}``, Graph
    ``{"error": {"message", "code"}}``, X ``{"errors": [{"code", "message"}]}``
    and RFC 7807 ``{"title", "detail"}``; a short text/plain body is the message.
    Falls back to the reason phrase (never an HTML error page).
    """
    try:
        body: Any = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            message = _str(err.get("message"))
            code = _str(err.get("code") or err.get("type"))
        elif isinstance(err, str):
            detail = _str(body.get("error_description") or body.get("message"))
            if detail:
                code, message = err, detail
            else:
                message = err
        errors = body.get("errors")
        if message is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = _str(errors[0].get("message") or errors[0].get("detail"))
            code = _str(errors[0].get("code"))
        if message is None:
            message = _str(body.get("detail") or body.get("message") or body.get("title"))
            code = code or _str(body.get("code") or body.get("serviceErrorCode"))
    elif isinstance(body, str):
        message = body
    elif body is None and response.headers.get("content-type", "").startswith("text/plain"):
        message = response.text[:_MAX_MESSAGE]  # HTML error pages are noise: reason phrase
    if not message:
        message = response.reason_phrase or f"HTTP {response.status_code}"
    return code, message


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _matches(markers: Collection[str], code: str | None, message: str) -> bool:
    lowered = message.lower()
    return any(m == code or m.lower() in lowered for m in markers)


def raise_for_response(response: httpx.Response, *, platform: str,
                       expired_codes: Collection[str] = DEFAULT_EXPIRED_CODES,
                       revoked_codes: Collection[str] = DEFAULT_REVOKED_CODES) -> None:
    """Raise the adapter error for an unsuccessful response; return for 1xx–3xx.

    Each entry of ``expired_codes`` / ``revoked_codes`` matches the body's
    error code exactly or its message as a case-insensitive fragment.

    | status            | raises                                                    |
    |-------------------|-----------------------------------------------------------|
    | 400/401/403       | AuthExpiredError when the body matches ``expired_codes``  |
    | 401               | AuthRevokedError when it matches ``revoked_codes`` or     |
    |                   | ``expired_codes`` is empty (tokens that never expire);    |
    |                   | else AuthExpiredError (a refresh may fix it)              |
    | 403               | AuthRevokedError when it matches ``revoked_codes``, else  |
    |                   | InvalidContentError                                       |
    | 408               | RetryLaterError (the server gave up before acting)        |
    | 429               | RateLimitedError(until=reset headers)                     |
    | 5xx               | RateLimitedError when ``Retry-After`` says when, else     |
    |                   | RetryLaterError                                           |
    | other 4xx         | InvalidContentError with the platform's message           |

    Raises:
        AdapterError: the subclass above, with ``status`` and ``code`` set.
    """
    status = response.status_code
    if status < 400:
        return
    code, reason = error_details(response)
    message = f"{platform}: HTTP {status}: {_clip(reason)}"
    kw: dict[str, Any] = {"status": status, "code": code}
    if status in (400, 401, 403) and expired_codes and _matches(expired_codes, code, reason):
        raise AuthExpiredError(message, **kw, hint="the access token expired; refreshing")
    if status == 401:
        if not expired_codes or _matches(revoked_codes, code, reason):
            raise AuthRevokedError(message, **kw, hint="reconnect the account")
        raise AuthExpiredError(message, **kw)
    if status == 403 and _matches(revoked_codes, code, reason):
        raise AuthRevokedError(message, **kw, hint="reconnect the account")
    if status == 429:
        raise RateLimitedError(message, until=parse_reset(response.headers), status=status,
                               code=code)
    if status >= 500:
        # Only an explicit Retry-After counts here: some platforms (Mastodon) send
        # X-RateLimit-Reset on every response, which says nothing about an outage.
        retry_after = response.headers.get("Retry-After")
        until = parse_reset({"Retry-After": retry_after}) if retry_after else None
        if until is not None:
            raise RateLimitedError(message, until=until, status=status, code=code)
        raise RetryLaterError(message, **kw)
    if status == 408:
        raise RetryLaterError(message, **kw)
    raise InvalidContentError(message, **kw)


def _clip(text: str) -> str:
    text = redact(" ".join(text.split()))
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def send(client: httpx.Client, method: str, url: str, *, platform: str = "platform",
         **kw: Any) -> httpx.Response:
    """Send one request, turning transport failures into adapter errors.

    A failure before the request can have left (connection refused, connect
    or pool timeout) is a RetryLaterError. A failure after it was sent (read
    timeout, the server hung up) is an OutcomeUnknownError for methods with
    side effects — the post may exist — and a RetryLaterError for GET/HEAD.
    The response is returned whatever its status: pass it to
    ``raise_for_response``.

    Args:
        client: from ``make_client``.
        method: HTTP method.
        url: path (relative to the client's base URL) or absolute URL.
        platform: name used in error messages.
        **kw: passed to ``httpx.Client.request`` (json, data, files, headers, params…).

    Raises:
        RetryLaterError: the request never reached the platform, or was a safe read.
        OutcomeUnknownError: the platform may have acted on it.
    """
    where = f"{platform}: {method} {httpx.URL(url).path}"
    try:
        return client.request(method, url, **kw)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
            httpx.UnsupportedProtocol, httpx.ProxyError, httpx.LocalProtocolError) as exc:
        raise RetryLaterError(f"{where}: {_transport_reason(exc)} (request not sent)") from None
    except httpx.TransportError as exc:
        reason = _transport_reason(exc)
        if method.upper() in _IDEMPOTENT_METHODS:
            raise RetryLaterError(f"{where}: {reason}") from None
        raise OutcomeUnknownError(f"{where}: {reason} after the request was sent",
                                  hint="the post may exist; it will be looked up") from None


def _transport_reason(exc: httpx.TransportError) -> str:
    names = {
        httpx.ConnectError: "cannot connect", httpx.ConnectTimeout: "connect timed out",
        httpx.PoolTimeout: "no free connection", httpx.ReadTimeout: "timed out waiting",
        httpx.WriteTimeout: "timed out sending", httpx.RemoteProtocolError: "connection dropped",
    }
    for cls, text in names.items():
        if isinstance(exc, cls):
            return text
    return type(exc).__name__


def retry_after_seconds(error: AdapterError, now: float | None = None) -> float | None:
    """Seconds until a RateLimitedError's reset (None for other errors or no reset)."""
    until = getattr(error, "until", None)
    if until is None:
        return None
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC)
    return max(0.0, (until - now_dt).total_seconds())


def get_json(base_url: str, path: str, *, access_token: str | None, platform: str,
             timeout_s: float = 30.0) -> Any:
    """One authenticated GET on a fresh client, its JSON body returned.

    For one-off calls outside an adapter's own client, such as reading who a
    new token belongs to while connecting an account.

    Raises:
        AdapterError: a subclass from ``platforms.errors``, as ``raise_for_response`` maps it.
    """
    with make_client(base_url.rstrip("/"), timeout_s=timeout_s) as client:
        response = send(client, "GET", path, platform=platform,
                        headers={"Authorization": f"Bearer {access_token or ''}"})
        raise_for_response(response, platform=platform)
        return response.json()
