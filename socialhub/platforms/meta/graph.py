"""What Threads, Instagram and Facebook Pages share: Meta's Graph API conventions.

One place for the three things every Meta adapter needs and that no other
network does (PLATFORMS.md §1b, §2.5–2.7):

* **Errors.** Meta answers ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}`` — mostly with HTTP 400 whatever went
  wrong — so the *code* decides, not the status: 190 is a token problem
  (subcode 463 expired, 458/460/467… revoked), 10 and 200–299 a missing
  permission, 4/17/32/613/80001–80014 a rate limit (the wait comes from
  ``X-Business-Use-Case-Usage`` ``estimated_time_to_regain_access`` minutes,
  else ``X-App-Usage``), 100 a bad parameter, 1/2 a transient failure.
* **Containers.** Threads and Instagram publish in two steps: create a
  container, poll its status until ``FINISHED`` (bounded), then publish it.
* **Long-lived tokens** (``tokens``): a short-lived token is exchanged for
  a 60-day one, which "refreshes" by exchanging itself — only once it is 24 h old.

What each surface accepts as media is checked in ``media``.

Access tokens travel in the ``Authorization`` header on API calls (never in a
URL that could reach a log); the token-exchange endpoints only take them as
query parameters, as Meta documents, and the log redaction masks those.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import make_client, parse_reset, raise_for_response, send
from socialhub.platforms.timestamps import parse_timestamp
from socialhub.security.redact import redact

RATE_LIMIT_CODES: frozenset[int] = frozenset({4, 17, 32, 613, *range(80001, 80015)})
PERMISSION_CODES: frozenset[int] = frozenset({10, 3, *range(200, 300)})
TOKEN_CODES: frozenset[int] = frozenset({190, 102})
EXPIRED_SUBCODES: frozenset[int] = frozenset({463})
TRANSIENT_CODES: frozenset[int] = frozenset({1, 2, 9007})
#: Instagram's "max posts per day" (code 9, subcode 2207042) and Threads' equivalent.
QUOTA_SUBCODES: frozenset[int] = frozenset({2207042})
#: X-App-Usage says how full the rolling hour is, not when it frees; wait this long.
APP_USAGE_WAIT = timedelta(minutes=10)
_PERMISSION_RE = re.compile(
    r"\b((?:pages|threads|instagram|publish|business|read|manage)_[a-z_]+)\b")


@dataclass(frozen=True)
class GraphError:
    """The fields of a Graph error body (``code`` 0 when the body had none)."""

    message: str
    code: int
    subcode: int | None
    type: str | None
    trace: str | None


def graph_error(response: httpx.Response) -> GraphError | None:
    """The Graph error in ``response``'s body, or None when it is not one."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        return None
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None
    message = str(err.get("error_user_msg") or err.get("message") or "unknown error")
    return GraphError(message=message, code=int_or_none(err.get("code")) or 0,
                      subcode=int_or_none(err.get("error_subcode")), type=err.get("type"),
                      trace=err.get("fbtrace_id"))


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def usage_reset(headers: httpx.Headers | dict[str, str],
                now: datetime | None = None) -> datetime | None:
    """When Meta's usage headers say calls may resume (None: they do not say).

    ``X-Business-Use-Case-Usage`` (and ``X-Page-Usage``/``X-Ad-Account-Usage``)
    carry ``estimated_time_to_regain_access`` in minutes: the largest wins.
    ``X-App-Usage`` only gives percentages of a rolling hour; at ≥100 % we wait
    ``APP_USAGE_WAIT``. ``Retry-After`` is honoured when present.
    """
    now = now or datetime.now(UTC)
    lowered = {k.lower(): v for k, v in headers.items()}
    minutes: list[float] = []
    for name in ("x-business-use-case-usage", "x-page-usage", "x-ad-account-usage"):
        for entry in _usage_entries(lowered.get(name)):
            value = entry.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and value > 0:
                minutes.append(float(value))
    if minutes:
        return now + timedelta(minutes=max(minutes))
    explicit = parse_reset({"Retry-After": lowered["retry-after"]}, now) \
        if "retry-after" in lowered else None
    if explicit is not None:
        return explicit
    for name in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
        for entry in _usage_entries(lowered.get(name)):
            if any(isinstance(entry.get(k), int | float) and entry[k] >= 100
                   for k in ("call_count", "total_cputime", "total_time")):
                return now + APP_USAGE_WAIT
    return None


def _usage_entries(raw: str | None) -> Iterable[dict[str, Any]]:
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    if isinstance(data, dict) and not any(isinstance(v, list) for v in data.values()):
        return [data]  # X-App-Usage / X-Page-Usage: one flat object
    if isinstance(data, dict):  # BUC: {business_id: [entries]}
        return [e for v in data.values() if isinstance(v, list) for e in v
                if isinstance(e, dict)]
    return []


def raise_for_graph(response: httpx.Response, *, platform: str, refreshable: bool = True,
                    reconnect_hint: str = "reconnect the account",
                    permission: str | None = None) -> None:
    """Raise the adapter error for a failed Graph response; return for success.

    Args:
        response: any response from a Graph endpoint.
        platform: the name used in messages.
        refreshable: False for tokens without a refresh (Facebook page tokens):
            every token error, expired or not, then means "reconnect".
        reconnect_hint: what the user should do when a person must act.
        permission: the permission this call needs, named when Meta's message
            does not say which one is missing.

    Raises:
        AuthExpiredError: code 190 with an "expired" subcode or message.
        AuthRevokedError: other 190s, 102, and permission codes (naming the permission).
        RateLimitedError: rate-limit and daily-quota codes, ``until`` from usage headers.
        InvalidContentError: code 100 and other refusals, with Meta's message.
        RetryLaterError: codes 1, 2, 9007 (media not ready), and 5xx.
    """
    if response.status_code < 400:
        return
    err = graph_error(response)
    if err is None:
        if response.status_code == 429 or (response.status_code == 403
                                           and usage_reset(response.headers)):
            raise RateLimitedError(f"{platform}: HTTP {response.status_code}: rate limited",
                                   until=usage_reset(response.headers),
                                   status=response.status_code)
        raise_for_response(response, platform=platform)
        return
    status = response.status_code
    reason = clip_message(err.message)
    tag = f"code {err.code}" + (f"/{err.subcode}" if err.subcode else "")
    message = f"{platform}: {reason} ({tag})"
    kw: dict[str, Any] = {"status": status, "code": str(err.code)}
    if err.code in TOKEN_CODES:
        expired = (err.subcode in EXPIRED_SUBCODES
                   or (err.subcode is None and "expired" in err.message.lower()))
        if expired and refreshable:
            raise AuthExpiredError(message, **kw, hint="the access token expired; refreshing")
        raise AuthRevokedError(message, **kw, hint=reconnect_hint)
    if err.code in PERMISSION_CODES:
        missing = _PERMISSION_RE.findall(err.message) or ([permission] if permission else [])
        if missing:
            message = f"{platform}: missing permission {', '.join(dict.fromkeys(missing))}: " \
                      f"{reason} ({tag})"
        raise AuthRevokedError(message, **kw,
                               hint=f"{reconnect_hint} and grant "
                                    f"{', '.join(missing) if missing else 'the permissions'}")
    if err.code in RATE_LIMIT_CODES or err.subcode in QUOTA_SUBCODES:
        raise RateLimitedError(message, until=usage_reset(response.headers), status=status,
                               code=str(err.code))
    if err.code in TRANSIENT_CODES or status >= 500:
        until = usage_reset(response.headers) if "retry-after" in {
            k.lower() for k in response.headers} else None
        if until is not None:
            raise RateLimitedError(message, until=until, status=status, code=str(err.code))
        raise RetryLaterError(message, **kw)
    raise InvalidContentError(message, **kw)


def clip_message(text: str, limit: int = 300) -> str:
    text = redact(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GraphApi:
    """A Graph API client for one account: token in the header, errors mapped once.

    Args:
        platform: the adapter's name, for messages.
        base_url: the API root, version included (``https://graph.threads.net/v1.0``).
        timeout_s: HTTP timeout.
        token: returns the current access token (it may be replaced by a refresh).
        refreshable: passed to ``raise_for_graph``.
    """

    def __init__(self, platform: str, base_url: str, *, timeout_s: float,
                 token: Callable[[], str | None], refreshable: bool = True,
                 reconnect_hint: str = "reconnect the account") -> None:
        self.platform = platform
        self.client = make_client(base_url.rstrip("/"), timeout_s=timeout_s)
        self._token = token
        self._refreshable = refreshable
        self._hint = reconnect_hint

    def request(self, method: str, path: str, *, permission: str | None = None,
                **kw: Any) -> dict[str, Any]:
        """Send one call and return its JSON object (``{}`` for an empty body).

        ``permission`` names what the call needs, for a permission error that does not say.

        Raises:
            AdapterError: a subclass, from ``send`` and ``raise_for_graph``.
        """
        headers = {"Authorization": f"Bearer {self._token() or ''}"}
        response = send(self.client, method, path, platform=self.platform,
                        headers=headers, **kw)
        raise_for_graph(response, platform=self.platform, refreshable=self._refreshable,
                        reconnect_hint=self._hint, permission=permission)
        try:
            data = response.json() if response.content else {}
        except ValueError:
            raise RetryLaterError(f"{self.platform}: {method} {path}: the answer was not "
                                  "JSON") from None
        return data if isinstance(data, dict) else {"data": data}

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET ``path`` with query ``params``."""
        return self.request("GET", path, params=params)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """POST ``path`` with a form body (Graph takes every parameter as a form field)."""
        form = {k: v for k, v in (data or {}).items() if v is not None}
        return self.request("POST", path, data=form, **kw)

    def close(self) -> None:
        """Close the connections."""
        self.client.close()


# -- containers (Threads, Instagram) -------------------------------------------------
@dataclass(frozen=True)
class ContainerStatus:
    """How a container's status is read on one platform."""

    status_field: str  # "status" on Threads, "status_code" on Instagram
    message_field: str  # "error_message" on Threads, "status" on Instagram


def create_container(api: GraphApi, path: str, params: dict[str, Any], *,
                     permission: str | None = None) -> str:
    """Create a media container and return its id.

    A lost answer here leaves at most an unpublished container (it expires in
    24 h and nobody sees it), so an unknown outcome is an ordinary retry.
    """
    try:
        return str(api.post(path, params, permission=permission)["id"])
    except OutcomeUnknownError as exc:
        raise RetryLaterError(exc.message, status=exc.status) from None


def wait_until_finished(api: GraphApi, container_id: str, how: ContainerStatus, *,
                        wait_s: float, poll_s: float,
                        sleep: Callable[[float], None] = time.sleep) -> None:
    """Poll a container until it is ``FINISHED`` (or already ``PUBLISHED``).

    Raises:
        InvalidContentError: ``ERROR``: Meta could not use the media (its message says why).
        RetryLaterError: ``EXPIRED``, or still ``IN_PROGRESS`` after ``wait_s`` seconds
            (a retry builds a fresh container; the old one expires unseen).
    """
    deadline = time.monotonic() + wait_s
    pause = poll_s
    while True:
        data = api.get(f"/{container_id}", fields=f"{how.status_field},{how.message_field}"
                       if how.message_field != how.status_field else how.status_field)
        status = str(data.get(how.status_field) or "").upper()
        detail = str(data.get(how.message_field) or "") if how.message_field != \
            how.status_field else ""
        if status in ("FINISHED", "PUBLISHED"):
            return
        if status == "ERROR":
            raise InvalidContentError(
                f"{api.platform}: the media could not be processed: "
                f"{clip_message(detail) or 'no reason given'}", code="ERROR")
        if status == "EXPIRED":
            raise RetryLaterError(f"{api.platform}: container {container_id} expired before "
                                  "it was published")
        if time.monotonic() + pause > deadline:
            raise RetryLaterError(f"{api.platform}: media still processing after "
                                  f"{wait_s:.0f} s; will try again")
        sleep(pause)
        pause = min(pause * 2, 5.0)


def publish_container(api: GraphApi, path: str, container_id: str, *,
                      permission: str | None = None) -> str:
    """Publish a finished container; returns the new media id.

    Raises:
        OutcomeUnknownError: no answer or a transient failure: the post may exist.
    """
    return str(create_post(api, path, {"creation_id": container_id},
                           permission=permission)["id"])


def create_post(api: GraphApi, path: str, params: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """POST the call that makes a post (or comment) exist, and return its answer.

    Meta has no idempotency key, and a 5xx (or code 1/2) here can come after
    the post was created, so any transient failure is "outcome unknown": the
    engine looks the post up instead of blindly sending it again. A rate limit
    is not: Meta refused before acting.

    Raises:
        OutcomeUnknownError: no answer, a 5xx or a transient code.
    """
    try:
        return api.post(path, params, **kw)
    except RateLimitedError:
        raise
    except RetryLaterError as exc:
        raise OutcomeUnknownError(exc.message, status=exc.status, code=exc.code,
                                  hint="the post may exist; it will be looked up") from None


# -- publishing quota -----------------------------------------------------------------
@dataclass(frozen=True)
class Quota:
    """A rolling publishing quota as the API reports it."""

    used: int
    total: int
    duration_s: int

    @property
    def spent(self) -> bool:
        """True when no post fits in the window right now."""
        return self.used >= self.total


def read_quota(data: dict[str, Any], *, used_key: str = "quota_usage",
               config_key: str = "config", default_total: int,
               default_duration_s: int = 86_400) -> Quota:
    """A Quota from a ``*_publishing_limit`` answer (``{"data": [{…}]}``)."""
    rows = data.get("data") or [{}]
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
    config = row.get(config_key) or {}
    return Quota(used=int(row.get(used_key) or 0),
                 total=int(config.get("quota_total") or default_total),
                 duration_s=int(config.get("quota_duration") or default_duration_s))


def quota_spent_error(platform: str, what: str, quota: Quota,
                      oldest_in_window: datetime | None,
                      now: datetime | None = None) -> RateLimitedError:
    """The RateLimitedError for a spent quota: wait until the oldest post leaves the window.

    ``oldest_in_window`` is the oldest of the account's posts we could see
    inside the window; without one we wait an hour and ask again.
    """
    now = now or datetime.now(UTC)
    window = timedelta(seconds=quota.duration_s)
    until = (oldest_in_window + window) if oldest_in_window is not None \
        and oldest_in_window + window > now else now + timedelta(hours=1)
    return RateLimitedError(
        f"{platform}: {what} quota spent ({quota.used} of {quota.total} per "
        f"{quota.duration_s // 3600} h); waiting until {until:%Y-%m-%d %H:%M} UTC",
        until=until, status=None, code="quota")


def match_recent(items: list[dict[str, Any]], *, text_field: str, text: str,
                 time_field: str, not_before: datetime | None,
                 parent: Callable[[dict[str, Any]], str | None] | None = None,
                 parent_id: str | None = None) -> dict[str, Any] | None:
    """The newest item whose text equals ``text`` (whitespace-normalised), not older
    than ``not_before``, and (when ``parent`` is given) replying to ``parent_id``."""
    wanted = " ".join(text.split())
    for item in items:
        if " ".join(str(item.get(text_field) or "").split()) != wanted:
            continue
        if parent is not None and parent(item) != parent_id:
            continue
        when = parse_timestamp(item.get(time_field))
        if not_before is not None and when is not None and when < not_before:
            continue
        return item
    return None


def insight_values(data: dict[str, Any]) -> dict[str, int]:
    """``{"data": [{"name", "values": [{"value"}]} | {"name", "total_value": {"value"}}]}``
    → ``{name: value}``."""
    values: dict[str, int] = {}
    for row in data.get("data") or []:
        if not isinstance(row, dict) or "name" not in row:
            continue
        value: Any = None
        if isinstance(row.get("total_value"), dict):
            value = row["total_value"].get("value")
        elif row.get("values"):
            value = row["values"][-1].get("value")
        if isinstance(value, int | float):
            values[str(row["name"])] = int(value)
    return values


def minutes(seconds: float) -> int:
    """Whole minutes, rounded up (Meta's usage headers speak in minutes)."""
    return max(1, math.ceil(seconds / 60))
