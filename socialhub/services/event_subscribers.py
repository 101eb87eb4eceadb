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
webhooks               after commit    ``schedule.changed`` naming a post, ``delivery.*``,
                                       ``account.needs_reauth``, ``daemon.digest``,
                                       ``sync.failed``,
                                       ``post.submitted|approved|changes_requested|commented``,
                                       ``alert.raised``
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
from socialhub.services.webhooks import BUS_EVENTS, HOOK_TO_BUS, WebhookNotifier


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


def send_webhook(event: Event, scope: Scope) -> None:
    """Queue the webhook for ``event`` to every configured hook that wants it.

    The hooks come from the settings the event was delivered with; without
    settings, or without a hook for the event, nothing is sent. A
    ``schedule.changed`` that names no post sends nothing either.
    """
    hook_event = BUS_EVENTS.get(event.name)
    settings = scope.settings
    if hook_event is None or settings is None:
        return
    if event.name == SCHEDULE_CHANGED and event.subject is None:
        return
    if not any(hook_event in h.events for h in settings.daemon.webhooks):
        return
    notifier = scope.resource("webhooks", lambda: WebhookNotifier(settings))
    notifier.emit(hook_event, dict(event.data))


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
    for name in BUS_EVENTS:
        bus.subscribe(name, send_webhook)
    bus.subscribe(HOOK_TO_BUS["alert"], send_alert_mail)
    bus.defaults_installed = True
