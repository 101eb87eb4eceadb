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
import threading
import time
import urllib.request
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

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
from socialhub.platforms.http_pool import (
    NoAnswer,
    NotSent,
    OriginPool,
    RawResponse,
    needs_escaping,
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


class PlatformClient(httpx.Client):
    """The client ``make_client`` builds: an ``httpx.Client`` whose plain requests
    (``send`` with a JSON, form or bytes body, or none) go through ``http_pool``'s
    keep-alive connections instead of httpx's, at about half of the CPU; anything
    else (files, streamed bodies, auth flows, a proxy in the environment) through httpx.
    """

    def __init__(self, *, pooled: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.pooled = pooled
        self._pools: dict[tuple[str, str, int], OriginPool] = {}
        self._pools_lock = threading.Lock()
        self._base = str(self.base_url).rstrip("/")
        # httpx's defaults name encodings it would decode; the pooled path asks for none.
        self._default_headers = [(k, v) for k, v in self.headers.items()
                                 if k.lower() not in ("accept-encoding", "connection")]

    def pool(self, scheme: str, host: str, port: int) -> OriginPool:
        """The connections to ``scheme://host:port`` (made on first use)."""
        key = (scheme, host, port)
        found = self._pools.get(key)
        if found is not None:
            return found
        with self._pools_lock:
            found = self._pools.get(key)
            if found is None:
                timeout = self.timeout
                found = self._pools[key] = OriginPool(
                    scheme, host, port, connect_timeout_s=timeout.connect or 10.0,
                    timeout_s=timeout.read or 30.0, keepalive_s=KEEPALIVE_EXPIRY_S,
                    ssl_context=verify_context() if scheme == "https" else None)
            return found

    def close(self) -> None:
        """Close the pooled connections and httpx's."""
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        super().close()

    def pooled_request(self, method: str, url: str, kw: Mapping[str, Any]
                       ) -> httpx.Response | None:
        """Send the request through the pooled connections; None when it needs httpx
        (a body other than JSON, a form or bytes; auth; a path that needs escaping; HEAD,
        whose answer announces a body it does not carry).

        Raises:
            PoolError: as ``OriginPool.request``.
        """
        if (not self.pooled or self.auth is not None or not _POOLABLE.issuperset(kw)
                or method.upper() == "HEAD"):
            return None
        prepared = _prepare(kw)
        if prepared is None:
            return None
        headers, body = prepared
        full = url if "://" in url else self._base + "/" + url.lstrip("/")
        params = kw.get("params")
        if params:
            query = _query(params)
            if query is None:
                return None
            full += ("&" if "?" in full else "?") + query
        if needs_escaping(full):
            return None  # httpx escapes what the pool would refuse
        parts = urlsplit(full)
        if parts.hostname is None:
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        merged = _merge_headers(self._default_headers, kw.get("headers"), headers)
        raw = self.pool(parts.scheme, parts.hostname, port).request(
            method.upper(), target, merged, body)
        return _response(raw)


def make_client(base_url: str, *, timeout_s: float,
                headers: Mapping[str, str] | None = None) -> PlatformClient:
    """Build the client an adapter uses for one platform.

    Args:
        base_url: the platform's API root (relative URLs in requests resolve against it).
        timeout_s: the read/write timeout; connecting gets at most 10 s of it.
        headers: extra default headers (never put a token here if it can rotate).

    Returns:
        A client with socialhub's User-Agent, JSON ``Accept``, no redirects
        followed (a redirect could carry the Authorization header elsewhere) and idle
        connections reused for :data:`KEEPALIVE_EXPIRY_S` at most, verifying servers
        with the process's one TLS context (``security.tls``). With a proxy set in the
        environment every request goes through httpx, which honours it.
    """
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    merged.update(headers or {})
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    return PlatformClient(pooled=not urllib.request.getproxies(),
                          base_url=base_url, timeout=timeout, headers=merged,
                          follow_redirects=False, verify=verify_context(),
                          limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S))


_POOLABLE = frozenset({"json", "data", "content", "headers", "params"})


def _prepare(kw: Mapping[str, Any]) -> tuple[list[tuple[str, str]], bytes | None] | None:
    """The content headers and body of a request's ``json``/``data``/``content``, encoded
    as httpx encodes them; None when httpx must send it (a stream, or files)."""
    given = [k for k in ("json", "data", "content") if kw.get(k) is not None]
    if not given:
        return [], None
    if len(given) > 1:
        return None
    if given[0] == "json":
        body = json.dumps(kw["json"], ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
        return [("Content-Type", "application/json")], body
    if given[0] == "data":
        data = kw["data"]
        if not isinstance(data, Mapping):
            return None
        pairs = _pairs(data.items())
        if pairs is None:
            return None
        return ([("Content-Type", "application/x-www-form-urlencoded")],
                urlencode(pairs).encode("utf-8"))
    content = kw["content"]
    if isinstance(content, str):
        return [], content.encode("utf-8")
    return ([], bytes(content)) if isinstance(content, bytes | bytearray) else None


def _pairs(items: Iterable[tuple[Any, Any]]) -> list[tuple[str, str]] | None:
    """Form or query pairs as httpx writes them (lists repeat the key; True is "true",
    None is empty); None for a value it would not take."""
    out: list[tuple[str, str]] = []
    for key, value in items:
        for item in value if isinstance(value, list | tuple) else (value,):
            if item is None:
                out.append((str(key), ""))
            elif isinstance(item, bool):
                out.append((str(key), "true" if item else "false"))
            elif isinstance(item, str | int | float):
                out.append((str(key), str(item)))
            else:
                return None
    return out


def _query(params: Any) -> str | None:
    """``params`` (a mapping, or a list of pairs) as a query string, as httpx writes it;
    None for a shape it does not take."""
    if isinstance(params, Mapping):
        pairs = _pairs(params.items())
    elif isinstance(params, list | tuple) and all(
            isinstance(p, tuple) and len(p) == 2 for p in params):
        pairs = _pairs(params)
    else:
        return None
    return None if pairs is None else urlencode(pairs)


def _merge_headers(defaults: list[tuple[str, str]], given: Mapping[str, str] | None,
                   content: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's headers, then the request's content headers, then its own: a later
    one of the same name (in any case) replaces an earlier one."""
    merged: dict[str, tuple[str, str]] = {}
    for name, value in (*defaults, *content, *(given.items() if given else ())):
        merged[name.lower()] = (name, value)
    merged.pop("content-length", None)  # the pool writes it from the body
    merged.pop("host", None)
    return list(merged.values())


def _response(raw: RawResponse) -> httpx.Response:
    """``raw`` as the ``httpx.Response`` httpx's own transport would give, already read.

    A body without a content coding is stored as it came: ``Response(content=...)``
    would pass it through httpx's stream, decoder and chunker to the same bytes, and
    that cost ~10 % of the daemon's CPU per send. A coded body (the pooled path never
    asks for one, but a server may send it) is decoded by httpx as before.
    """
    extensions = {"reason_phrase": raw.reason.encode("latin-1", "replace"),
                  "http_version": b"HTTP/1.1"}
    if any(name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
           for name, value in raw.headers):
        return httpx.Response(raw.status, headers=raw.headers, content=raw.content,
                              extensions=extensions)
    response = httpx.Response(raw.status, headers=raw.headers,
                              stream=httpx.ByteStream(raw.content), extensions=extensions)
    # What Response.read() stores and sets once it has read the stream to its end.
    response._content = raw.content
    response.is_stream_consumed = response.is_closed = True
    return response


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
    try:
        if isinstance(client, PlatformClient):
            response = client.pooled_request(method, url, kw)
            if response is not None:
                return response
        return client.request(method, url, **kw)
    except NotSent as exc:
        raise RetryLaterError(f"{_where(platform, method, url)}: {exc.reason} "
                              "(request not sent)") from None
    except NoAnswer as exc:
        _raise_unanswered(platform, method, url, exc.reason)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
            httpx.UnsupportedProtocol, httpx.ProxyError, httpx.LocalProtocolError) as exc:
        raise RetryLaterError(f"{_where(platform, method, url)}: {_transport_reason(exc)} "
                              "(request not sent)") from None
    except httpx.TransportError as exc:
        _raise_unanswered(platform, method, url, _transport_reason(exc))


def _where(platform: str, method: str, url: str) -> str:
    """What an error message names: the platform, the method and the path (no query: it
    may carry a token)."""
    return f"{platform}: {method} {httpx.URL(url).path}"


def _raise_unanswered(platform: str, method: str, url: str, reason: str) -> NoReturn:
    """A request that may have reached the platform and got no answer: safe to retry for
    GET/HEAD, unknown for anything else."""
    where = _where(platform, method, url)
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
