"""Webhooks: tell other systems about delivery and review events (config
``daemon.webhooks``).

Each hook is ``{url, events, secret}``. An event is POSTed as JSON; with a
secret the body is signed with HMAC-SHA256 and the hex digest sent as
``X-Socialhub-Signature: sha256=<hex>`` (the GitHub convention, so existing
receivers can verify it). Sends run on a small background pool with a short
timeout: a slow or broken receiver is logged and never holds up publishing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from socialhub.config import Settings, WebhookConfig

log = logging.getLogger(__name__)

EVENTS = ("scheduled", "published", "failed", "dead", "unconfirmed", "needs_reauth", "digest",
          "sync_failed", "submitted", "approved", "changes_requested", "commented", "alert")
#: The bus event (``services/events.py``) behind each webhook event. ``schedule.changed``
#: becomes ``scheduled`` only when it names a post (its subject).
BUS_EVENTS = {
    "schedule.changed": "scheduled", "delivery.published": "published",
    "delivery.failed": "failed", "delivery.dead": "dead",
    "delivery.unconfirmed": "unconfirmed", "account.needs_reauth": "needs_reauth",
    "daemon.digest": "digest", "sync.failed": "sync_failed",
    # the review of posts (teams)
    "post.submitted": "submitted", "post.approved": "approved",
    "post.changes_requested": "changes_requested", "post.commented": "commented",
    "alert.raised": "alert",
}
#: The webhook event name → its bus event.
HOOK_TO_BUS = {hook: bus for bus, hook in BUS_EVENTS.items()}
SIGNATURE_HEADER = "X-Socialhub-Signature"
EVENT_HEADER = "X-Socialhub-Event"
TIMEOUT_S = 5.0


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode_event(event: str, data: dict[str, Any], *, now: datetime | None = None) -> bytes:
    """The JSON body sent for ``event``: ``{"event", "sent_at", "data"}``."""
    from socialhub.services.clock import now_utc

    payload = {"event": event, "sent_at": (now or now_utc()).isoformat(), "data": data}
    return json.dumps(payload, default=_default, sort_keys=True).encode()


def post_event(hook: WebhookConfig, event: str, data: dict[str, Any]) -> int | None:
    """POST one event to one hook now; returns the HTTP status, None when unreachable.

    Failures are logged (never raised): a webhook is a courtesy, not a dependency.
    """
    import httpx

    body = encode_event(event, data)
    headers = {"Content-Type": "application/json", EVENT_HEADER: event,
               "User-Agent": "socialhub-webhook"}
    if hook.secret is not None and hook.secret.get_secret_value():
        headers[SIGNATURE_HEADER] = sign(body, hook.secret.get_secret_value())
    try:
        response = httpx.post(hook.url, content=body, headers=headers, timeout=TIMEOUT_S,
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        log.warning("webhook %s for %s failed: %s", _where(hook.url), event, type(exc).__name__)
        return None
    if response.status_code >= 400:
        log.warning("webhook %s for %s answered HTTP %s", _where(hook.url), event,
                    response.status_code)
    return response.status_code


def _where(url: str) -> str:
    # Only scheme://host/path: a query string may hold a receiver's secret token.
    return url.split("?", 1)[0]


class WebhookNotifier:
    """Fan events out to every configured hook that wants them, in the background."""

    def __init__(self, settings: Settings) -> None:
        self.hooks = list(settings.daemon.webhooks)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Queue ``event`` for every hook subscribed to it (returns at once)."""
        targets = [h for h in self.hooks if event in h.events]
        if not targets:
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
            for hook in targets:
                future = self._pool.submit(post_event, hook, event, data)
                self._pending.add(future)
                future.add_done_callback(self._pending.discard)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait for queued sends to finish (shutdown, tests)."""
        deadline = time.monotonic() + timeout_s
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        """Flush and stop the background pool."""
        self.flush()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None
