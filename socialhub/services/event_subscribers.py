"""Who listens to the event bus by default: the audit trail, NOTIFY and webhooks.

:func:`install_default_subscribers` registers them on the process's bus
(``services/events.py``). It is idempotent. The composition root calls it:
``Hub`` (which the CLI, the TUI and the daemon all build) and the test suite's
``conftest.py``; ``events.publish`` refuses to run before it, so a forgotten
wiring fails loudly instead of silently dropping audit rows. (``events`` does
not import this module: the subscribers import the services that publish.)
Workflow rules and the inbox will register here too.

=====================  ==============  ====================================================
subscriber             phase           events
=====================  ==============  ====================================================
audit trail            in transaction  every record change (``audit.record_event``)
daemon wake-up         after commit    ``schedule.changed`` (PostgreSQL NOTIFY, once a commit)
webhooks               after commit    every event an endpoint of ``daemon.webhooks`` wants
                                       (``*``; ``schedule.changed`` only naming a post)
alert mail             after commit    ``alert.raised`` (when ``alerts.email`` is set)
=====================  ==============  ====================================================
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from socialhub.services.announce import NOTIFY_CHANNEL, SCHEDULE_CHANGED
from socialhub.services.audit import write_audit_row
from socialhub.services.events import BUS, IN_TRANSACTION, Event, EventBus, Scope
from socialhub.services.mail import mail_enabled, send_mail
from socialhub.services.webhooks import HOOK_TO_BUS, outbox


def notify_daemons(event: Event, scope: Scope) -> None:
    """Wake daemons LISTENing on PostgreSQL: one ``NOTIFY`` per commit, after it.

    Sent on a connection of its own, as the committed transaction's is done.
    Nothing on SQLite, where daemons poll.
    """
    bind = scope.bind
    if bind is None or bind.dialect.name != "postgresql" or not scope.first(NOTIFY_CHANNEL):
        return
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as conn:
        conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        conn.commit()


def send_webhooks(event: Event, scope: Scope) -> None:
    """Queue ``event`` for every configured endpoint that wants it.

    The deliveries of one commit are recorded together in a transaction of their own
    once its after-commit subscribers are done (``outbox.Batch``), then tried once: in
    this thread, or on the delivery engine's background pool for its events; what
    fails is retried by the daemon. Without settings, or without an endpoint for the
    event, nothing happens.
    """
    wanted = outbox.targets(scope.settings, event)
    engine = outbox.engine_of(scope.bind)
    settings = scope.settings
    if not wanted or engine is None or settings is None:
        return
    batch = scope.resource("webhook_batch", lambda: outbox.Batch(
        engine, settings, sender=scope.resource("webhooks", lambda: None)))
    batch.add(event, wanted)


def send_alert_mail(event: Event, scope: Scope) -> None:
    """Mail an ``alert.raised`` to ``alerts.email.to`` (nothing without mail settings)."""
    settings = scope.settings
    if settings is None or not mail_enabled(settings):
        return
    message = str(event.data.get("message", event.subject))
    rule = str(event.data.get("rule", "alert"))
    send_mail(settings, f"[socialhub] {message}",
              f"{message}\n\nrule: {rule}\noccurrence: {event.subject}\n"
              + (f"link: {event.data['url']}\n" if event.data.get("url") else ""))


def install_default_subscribers(bus: EventBus = BUS) -> None:
    """Register the audit trail, the NOTIFY wake-up and the webhooks on ``bus``.

    Running it again changes nothing.
    """
    bus.subscribe("*", write_audit_row, phase=IN_TRANSACTION)
    bus.subscribe(SCHEDULE_CHANGED, notify_daemons)
    bus.subscribe("*", send_webhooks)
    bus.subscribe(HOOK_TO_BUS["alert"], send_alert_mail)
    bus.defaults_installed = True
