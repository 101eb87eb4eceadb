"""The webhook outbox: record each event for each endpoint that wants it, then send.

After a transaction commits, :class:`Batch` (via :func:`record`) writes one
``webhook_deliveries`` row per event and endpoint that wants it, all in one
transaction of its own; the process that published the events then tries each once,
in order, for at most :data:`INLINE_BUDGET_S` seconds (the delivery engine on its
background pool, :class:`~socialhub.services.webhooks.WebhookNotifier`, so publishing
never waits on a receiver). What the budget did not reach stays ``pending`` for the
daemon. A send that fails is tried again by the daemon's ``webhooks`` job after
``daemon.webhook_backoff_base_s`` × 2^(attempt-1) seconds (at most
``daemon.webhook_backoff_max_s``), up to ``daemon.webhook_max_attempts`` sends; then
the delivery is ``dead``. A crash between the event's commit and :func:`record` loses
that event's webhooks: the log never shows a webhook for a change that did not commit,
and may in rare cases miss one for a change that did.

Sending a delivery is three steps, so no transaction is open while a receiver is
slow: :func:`claim` (mark it ``sending`` for a lease, commit), :func:`send` (HTTP),
:func:`finish` (record the outcome, commit).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from socialhub.config import Settings, WebhookConfig
from socialhub.db.models import WebhookDelivery
from socialhub.db.queries import webhooks as queries
from socialhub.db.queries.orgs import organization_id_named
from socialhub.db.tenancy import select_organization
from socialhub.errors import ConfigError
from socialhub.security.redact import redact_fields
from socialhub.security.tls import verify_context
from socialhub.services.clock import now_utc
from socialhub.services.events import Event
from socialhub.services.webhooks.hooks import (
    endpoint,
    hook_event_name,
    register_url_secrets,
    secret_of,
    where,
)
from socialhub.services.webhooks.signing import signature_headers

log = logging.getLogger("socialhub.webhooks")

EVENT_HEADER = "X-Socialhub-Event"
USER_AGENT = "socialhub-webhook"
#: How much of a receiver's answer is kept for ``webhooks test``.
RESPONSE_EXCERPT = 500


@dataclass(frozen=True)
class Claim:
    """One delivery marked ``sending`` by this process: what to send, and to whom."""

    id: int
    org_id: int
    webhook_id: str
    endpoint: str
    event: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """How one send went: the HTTP status (None when there was no answer), the error
    in a line, how long it took, and the start of the answer."""

    http_status: int | None
    error: str | None
    duration_ms: int
    response: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.http_status is not None and 200 <= self.http_status < 300


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def encode_body(webhook_id: str, name: str, event: Event, at: datetime) -> str:
    """The JSON body sent for ``event`` under ``name``.

    ``type`` is the bus event, ``event`` the name the endpoint subscribed to (the short
    name for the first releases' subscriptions), ``sent_at`` the first releases' key
    for ``timestamp``. Values under secret-looking keys are masked.
    """
    payload = {"id": webhook_id, "type": event.name, "event": name,
               "timestamp": at.isoformat(), "sent_at": at.isoformat(),
               "subject": event.subject, "actor": event.actor, "channel": event.channel,
               "data": redact_fields(dict(event.data))}
    return json.dumps(payload, default=_default, sort_keys=True)


def engine_of(bind: Engine | Connection | None) -> Engine | None:
    """The engine behind a scope's bind."""
    if bind is None:
        return None
    return bind if isinstance(bind, Engine) else bind.engine


def targets(settings: Settings | None, event: Event) -> list[tuple[WebhookConfig, str]]:
    """Each configured endpoint that wants ``event``, with the name it gets it under."""
    if settings is None:
        return []
    found = []
    for hook in settings.daemon.webhooks:
        name = hook_event_name(hook, event.name, event.subject)
        if name is not None:
            found.append((hook, name))
    return found


def new_row(org_id: int, hook: WebhookConfig, name: str, event: Event,
            now: datetime) -> WebhookDelivery:
    """A ``pending`` delivery of ``event`` to ``hook``, due now."""
    webhook_id = f"msg_{uuid.uuid4().hex}"
    subject = None if event.subject is None else str(event.subject)[:200]
    return WebhookDelivery(org_id=org_id, webhook_id=webhook_id, endpoint=hook.endpoint_name(),
                           event=name, subject=subject,
                           body=encode_body(webhook_id, name, event, now), status="pending",
                           attempts=0, next_attempt_at=now, created_at=now)


def record(engine: Engine, settings: Settings,
           batch: list[tuple[Event, list[tuple[WebhookConfig, str]]]]) -> dict[int, list[int]]:
    """Write the deliveries of committed events, each with the endpoints that want it,
    in one transaction of its own; the new rows' ids by organization, in event order.

    An event without an organization is filed under its delivery's organization (the
    delivery engine's outcomes), else under the configured one (``schedule.changed``,
    ``account.needs_reauth``, the digest).
    """
    now = now_utc()
    recorded: dict[int, list[int]] = {}
    with Session(engine) as session, session.begin():
        fallback: int | None = None
        for event, wanted in batch:
            org_id = event.org_id
            delivery_id = event.data.get("delivery_id")
            if org_id is None and isinstance(delivery_id, int):  # the delivery engine's
                org_id = queries.delivery_org_id(session, delivery_id)
            if org_id is None:
                if fallback is None:
                    fallback = organization_id_named(session, settings.organization)
                org_id = fallback
            if org_id is None:
                log.warning("webhook for %s not recorded: no organization %r", event.name,
                            settings.organization)
                continue
            select_organization(session, org_id)
            rows = [new_row(org_id, hook, name, event, now) for hook, name in wanted]
            session.add_all(rows)
            session.flush()
            recorded.setdefault(org_id, []).extend(row.id for row in rows)
    return recorded


def claim(session: Session, org_id: int, now: datetime, settings: Settings, *,
          ids: list[int] | None = None, limit: int = 50) -> list[Claim]:
    """Mark the organization's due deliveries (only ``ids`` when given) as being sent by
    this process, for as long as a send may take and a minute more."""
    lease = timedelta(seconds=settings.daemon.webhook_timeout_s + 60)
    claimed = []
    for row in queries.due_webhook_deliveries(session, org_id, now, ids=ids, limit=limit):
        if queries.claim_webhook_delivery(session, row, now + lease):
            claimed.append(Claim(row.id, row.org_id, row.webhook_id, row.endpoint, row.event,
                                 row.body, row.attempts))
    return claimed


def send(settings: Settings, claimed: Claim, *, at: datetime | None = None) -> Outcome:
    """POST one claimed delivery to its endpoint now, signed with a fresh timestamp.

    Never raises: an endpoint that is no longer configured, a secret that cannot be
    read, a refused connection or a timeout is an :class:`Outcome` with the error.
    """
    import httpx

    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    hook = endpoint(settings, claimed.endpoint)
    if hook is None:
        return Outcome(None, "the endpoint is no longer configured", 0)
    register_url_secrets(hook.url)
    try:
        secret = secret_of(hook, settings)
    except ConfigError as exc:
        return Outcome(None, str(exc), 0)
    body = claimed.body.encode()
    stamp = int(at.timestamp()) if at is not None else int(time.time())  # the wire clock
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               EVENT_HEADER: claimed.event,
               **signature_headers(secret, claimed.webhook_id, stamp, body)}
    try:
        response = httpx.post(hook.url, content=body, headers=headers,
                              timeout=settings.daemon.webhook_timeout_s,
                              follow_redirects=False, verify=verify_context())
    except httpx.HTTPError as exc:
        log.warning("webhook %s (%s) for %s failed: %s", claimed.endpoint, where(hook.url),
                    claimed.event, type(exc).__name__)
        return Outcome(None, f"no answer: {type(exc).__name__}", took())
    excerpt = response.text[:RESPONSE_EXCERPT]
    if response.status_code >= 300:
        log.warning("webhook %s (%s) for %s answered HTTP %s", claimed.endpoint,
                    where(hook.url), claimed.event, response.status_code)
        return Outcome(response.status_code, f"HTTP {response.status_code}", took(), excerpt)
    return Outcome(response.status_code, None, took(), excerpt)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed send: base × 2^(attempts-1),
    at most ``daemon.webhook_backoff_max_s``."""
    opts = settings.daemon
    seconds = min(opts.webhook_backoff_base_s * 2 ** max(attempts - 1, 0),
                  opts.webhook_backoff_max_s)
    return timedelta(seconds=seconds)


def finish(session: Session, claimed: Claim, outcome: Outcome, settings: Settings,
           now: datetime) -> WebhookDelivery | None:
    """Record how sending ``claimed`` went: ``delivered``; ``failed`` with the next
    attempt's time; or ``dead`` after ``daemon.webhook_max_attempts`` sends (at once
    when the endpoint is no longer configured). None if the row is gone."""
    row = session.get(WebhookDelivery, claimed.id)
    if row is None:
        return None
    row.attempts = claimed.attempts + 1
    row.last_http_status = outcome.http_status
    row.last_error = outcome.error[:500] if outcome.error else None
    row.duration_ms = outcome.duration_ms
    row.last_attempt_at = now
    if outcome.ok:
        row.status, row.next_attempt_at, row.delivered_at = "delivered", None, now
    elif (row.attempts >= settings.daemon.webhook_max_attempts
          or endpoint(settings, claimed.endpoint) is None):
        row.status, row.next_attempt_at = "dead", None
    else:
        row.status, row.next_attempt_at = "failed", now + backoff(settings, row.attempts)
    session.flush()
    return row


#: How long the process that published events spends on their first tries, per commit;
#: what is left waits (``pending``, due now) for the daemon.
INLINE_BUDGET_S = 10.0


def deliver_recorded(engine: Engine, settings: Settings, org_id: int, ids: list[int], *,
                     budget_s: float | None = None) -> int:
    """Try the just recorded deliveries ``ids`` once each, in order, for at most
    ``budget_s`` seconds (default :data:`INLINE_BUDGET_S`; the publishing process does
    this); how many were tried. What fails, and what the budget did not reach, waits
    for the daemon."""
    deadline = time.monotonic() + (INLINE_BUDGET_S if budget_s is None else budget_s)
    tried = 0
    for row_id in ids:
        if time.monotonic() >= deadline:
            break
        with Session(engine) as session, session.begin():
            select_organization(session, org_id)
            claimed = claim(session, org_id, now_utc(), settings, ids=[row_id])
        for one in claimed:
            outcome = send(settings, one)
            with Session(engine) as session, session.begin():
                select_organization(session, org_id)
                finish(session, one, outcome, settings, now_utc())
            tried += 1
    return tried


class Sender(Protocol):
    """What sends recorded deliveries in the background (``WebhookNotifier``)."""

    def send_soon(self, engine: Engine, org_id: int, ids: list[int]) -> None:
        """Try the deliveries ``ids`` of ``org_id`` once, without waiting."""


class Batch:
    """The webhook deliveries of one commit's events, recorded together when the commit's
    after-commit subscribers are done (``close``), then tried once: on ``sender``'s
    background pool when one is given (the delivery engine's), else here, within
    :data:`INLINE_BUDGET_S` (a CLI command's webhooks have had their first try when it
    exits)."""

    def __init__(self, engine: Engine, settings: Settings, sender: Sender | None = None
                 ) -> None:
        self.engine = engine
        self.settings = settings
        self.sender = sender
        self.items: list[tuple[Event, list[tuple[WebhookConfig, str]]]] = []

    def add(self, event: Event, wanted: list[tuple[WebhookConfig, str]]) -> None:
        """Add ``event`` for the endpoints that want it."""
        self.items.append((event, wanted))

    def close(self) -> None:
        """Record the events' deliveries (one transaction) and try each once."""
        items, self.items = self.items, []
        if not items:
            return
        for org_id, ids in record(self.engine, self.settings, items).items():
            if self.sender is not None:
                self.sender.send_soon(self.engine, org_id, ids)
            else:
                deliver_recorded(self.engine, self.settings, org_id, ids)
