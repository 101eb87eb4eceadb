"""Webhooks: tell other systems about every event of the bus (config ``daemon.webhooks``).

Each endpoint is ``{name, url, events, secret}``; ``events`` lists bus event names,
prefixes (``delivery.*``), ``*``, or the short names of the first releases
(``published``). After an event's transaction commits, one ``webhook_deliveries`` row
is written per endpoint that wants it and sent at once in the background; failures
are retried by the daemon with exponential backoff (``outbox``). Requests are signed
the Standard Webhooks way (``signing``). The use cases behind ``socialhub webhooks
list|test|log`` and the daemon's job are in ``use_cases``; docs/webhooks.md is the
user's guide.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine

from socialhub.config import Settings, WebhookConfig
from socialhub.security.tls import verify_context
from socialhub.services.webhooks.hooks import (
    BUS_EVENTS,
    EVENTS,
    HOOK_TO_BUS,
    TEST_EVENT,
    hook_event_name,
    wants,
    where,
)
from socialhub.services.webhooks.outbox import EVENT_HEADER, USER_AGENT, deliver_recorded
from socialhub.services.webhooks.signing import LEGACY_SIGNATURE_HEADER as SIGNATURE_HEADER
from socialhub.services.webhooks.signing import sign, verify

__all__ = ["BUS_EVENTS", "EVENTS", "EVENT_HEADER", "HOOK_TO_BUS", "SIGNATURE_HEADER",
           "TEST_EVENT", "WebhookNotifier", "hook_event_name", "post_event", "sign",
           "verify", "wants"]

log = logging.getLogger(__name__)

#: How long a rule's one-off ``webhook`` action waits for an answer.
TIMEOUT_S = 5.0


def post_event(hook: WebhookConfig, event: str, data: dict[str, Any]) -> int | None:
    """POST one event to one URL now, once, unsigned unless the hook has a literal
    secret; the HTTP status, None when unreachable. Failures are logged, never raised.

    Only a workflow rule's ``webhook`` action uses this (its URL is in the rule, not in
    ``daemon.webhooks``); the configured endpoints go through the outbox.
    """
    import httpx

    from socialhub.services.clock import now_utc

    body = json.dumps({"event": event, "sent_at": now_utc().isoformat(), "data": data},
                      default=str, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", EVENT_HEADER: event,
               "User-Agent": USER_AGENT}
    if hook.secret is not None and hook.secret.get_secret_value():
        headers[SIGNATURE_HEADER] = sign(body, hook.secret.get_secret_value())
    try:
        response = httpx.post(hook.url, content=body, headers=headers, timeout=TIMEOUT_S,
                              follow_redirects=False, verify=verify_context())
    except httpx.HTTPError as exc:
        log.warning("webhook %s for %s failed: %s", where(hook.url), event, type(exc).__name__)
        return None
    if response.status_code >= 400:
        log.warning("webhook %s for %s answered HTTP %s", where(hook.url), event,
                    response.status_code)
    return response.status_code


class WebhookNotifier:
    """A background pool for the first try of freshly recorded webhook deliveries.

    The delivery engine keeps one for its life and hands it to the bus with the
    outcomes it announces, so sending a delivery never waits on a webhook receiver;
    ``close()`` (the engine's shutdown) flushes it. Elsewhere the first try is made
    in the committing thread (``outbox.Batch``).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()

    def send_soon(self, engine: Engine, org_id: int, ids: list[int]) -> None:
        """Try the recorded deliveries ``ids`` once, in the background (returns at once)."""
        with self._lock:
            if self._pool is None:
                # One thread: a process's webhooks leave in the order of their events.
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook")
            future = self._pool.submit(self._run, engine, org_id, ids)
            self._pending.add(future)
            future.add_done_callback(self._pending.discard)

    def _run(self, engine: Engine, org_id: int, ids: list[int]) -> None:
        try:
            deliver_recorded(engine, self.settings, org_id, ids)
        except Exception:  # the daemon retries what this try did not finish
            log.exception("sending webhook deliveries %s failed", ids)

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
