"""One event bus: services say what happened; subscribers decide who hears of it.

A service that changes something publishes an :class:`Event` on its session
(``publish(session, Event("post.scheduled", …))``) instead of calling the
audit trail, NOTIFY or webhooks by hand. Subscribers register once, in
``services/event_subscribers.py``, with an exact name (``post.scheduled``), a
prefix (``delivery.*``) or everything (``*``). The event names, their subjects
and data, and who subscribes today are listed in ``docs/events.md``.

There are two phases, and the split is deliberate:

* ``AFTER_COMMIT`` (the default) — the event is queued on the transaction and
  handed to subscribers only after that transaction commits, in publish order.
  A rollback (or the rollback of the savepoint the event was published in)
  drops it: nothing is ever announced that did not happen. A failing
  subscriber is logged and skipped; the others and the caller go on. NOTIFY
  for running daemons, the ``scheduled`` webhook and the delivery webhooks are
  after-commit subscribers — they talk to the world, which must never hear of
  a change that was rolled back.
* ``IN_TRANSACTION`` — the subscriber runs at once, inside the publisher's
  transaction, and may write with the session it is given. Its writes commit
  or roll back with the change itself, and an error in it propagates to the
  publisher (rolling the change back). The audit trail is the one subscriber
  of this kind: a tamper-evident trail cannot lose a row in a crash between
  two transactions, so the row must be part of the change it records.

Facts whose transaction committed elsewhere (the delivery engine records each
outcome in its own retried transaction) go straight to the after-commit
subscribers with :func:`publish_committed`.

The one carrier: a session's pending events and the settings it was opened
with live in ``session.info`` under :data:`OUTBOX_KEY`, written only here.
``Hub.transaction`` calls :func:`use_settings`; a session opened without
settings (a test's own engine) still publishes, and subscribers that need
settings (webhooks) simply have none to act on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from socialhub.config import Settings

log = logging.getLogger(__name__)

Phase = Literal["in_transaction", "after_commit"]
IN_TRANSACTION: Phase = "in_transaction"
AFTER_COMMIT: Phase = "after_commit"
#: Where a session's pending events and settings live (``session.info``); only this module
#: reads or writes it.
OUTBOX_KEY = "socialhub.events"


@dataclass(frozen=True)
class Event:
    """Something that happened: ``post.scheduled``, ``delivery.published``, …

    Attributes:
        name: ``<noun>.<what happened>`` (see ``docs/events.md``).
        org_id: The organization it happened in (None for process-wide facts).
        subject: What it happened to, as people name it: a post name, a delivery id.
        data: Details; read-only (a copy of the mapping given).
        actor: Who did it (a person's name, ``daemon``); None when unknown.
        channel: Through which front end (``cli``, ``tui``, ``daemon``…); None when unknown.
    """

    name: str
    org_id: int | None = None
    subject: str | int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    actor: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


class Scope:
    """Where events are delivered: what a subscriber may use besides the event.

    In the ``IN_TRANSACTION`` phase ``session`` is the publisher's session (write
    with it); after commit it is None and ``bind`` names the database the
    transaction ran on. ``settings`` are those the transaction was opened with.
    """

    def __init__(self, *, session: Session | None = None,
                 bind: Engine | Connection | None = None, settings: Settings | None = None,
                 resources: Mapping[str, Any] | None = None) -> None:
        self.session = session
        self.bind = bind
        self.settings = settings
        self._given = dict(resources or {})
        self._made: dict[str, Any] = {}
        self._seen: set[Hashable] = set()

    def resource(self, key: str, make: Callable[[], Any]) -> Any:
        """A helper shared by the subscribers of one delivery (one commit).

        One given by the publisher (``resources``) is used as is; otherwise
        ``make()`` builds it once, and it is closed (``close()``) when the
        delivery ends.
        """
        if key in self._given:
            return self._given[key]
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is asked for in this delivery (e.g. one NOTIFY)."""
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def close(self) -> None:
        """Close the helpers this delivery made; a failure is logged, never raised."""
        for key, made in self._made.items():
            close = getattr(made, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing the %s event helper failed", key)
        self._made.clear()


Handler = Callable[[Event, Scope], None]


@dataclass(frozen=True)
class Subscription:
    """One handler for the events matching ``pattern`` in one phase."""

    pattern: str
    handler: Handler
    phase: Phase

    def matches(self, name: str) -> bool:
        """True for an exact name, a ``prefix.*`` the name starts with, or ``*``."""
        if self.pattern == "*":
            return True
        if self.pattern.endswith(".*"):
            return name.startswith(self.pattern[:-1])
        return name == self.pattern


class EventBus:
    """Subscriptions, and handing events to them; the process has one (:data:`BUS`)."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        #: Set by ``event_subscribers.install_default_subscribers``; publishing on the
        #: process's bus before that is a wiring mistake and raises.
        self.defaults_installed = False

    def subscribe(self, pattern: str, handler: Handler, *,
                  phase: Phase = AFTER_COMMIT) -> Subscription:
        """Call ``handler(event, scope)`` for each event matching ``pattern``.

        Subscribing the same handler to the same pattern and phase twice changes
        nothing (so set-up code may run more than once).

        Returns:
            The subscription, for :meth:`unsubscribe`.
        """
        if phase not in (IN_TRANSACTION, AFTER_COMMIT):
            raise ValueError(f"unknown phase {phase!r}")
        sub = Subscription(pattern, handler, phase)
        with self._lock:
            if sub not in self._subs:
                self._subs = [*self._subs, sub]
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop calling ``sub``'s handler (nothing happens if it is not subscribed)."""
        with self._lock:
            self._subs = [s for s in self._subs if s != sub]

    def subscriptions(self, name: str, phase: Phase) -> list[Subscription]:
        """The subscriptions of ``phase`` that want events named ``name``, in order."""
        return [s for s in self._subs if s.phase == phase and s.matches(name)]

    def run_in_transaction(self, event: Event, scope: Scope) -> None:
        """Run the in-transaction subscribers now; their errors propagate."""
        for sub in self.subscriptions(event.name, IN_TRANSACTION):
            sub.handler(event, scope)

    def deliver(self, events: list[Event], scope: Scope) -> None:
        """Hand committed events to after-commit subscribers, in order; never raises."""
        try:
            for ev in events:
                for sub in self.subscriptions(ev.name, AFTER_COMMIT):
                    try:
                        sub.handler(ev, scope)
                    except Exception:
                        log.exception("event subscriber %s failed on %s",
                                      getattr(sub.handler, "__qualname__", sub.handler), ev.name)
        finally:
            scope.close()


#: The process's bus. ``publish`` installs the default subscribers on first use.
BUS = EventBus()
def subscribe(pattern: str, handler: Handler, *, phase: Phase = AFTER_COMMIT) -> Subscription:
    """Subscribe ``handler`` on the process's bus (see :meth:`EventBus.subscribe`)."""
    return BUS.subscribe(pattern, handler, phase=phase)


def unsubscribe(sub: Subscription) -> None:
    """Remove a subscription from the process's bus."""
    BUS.unsubscribe(sub)


def _ensure_defaults() -> None:
    if not BUS.defaults_installed:
        raise RuntimeError(
            "the event bus has no default subscribers: build a Hub (services/hub.py) or call "
            "services.event_subscribers.install_default_subscribers() before publishing")


@dataclass
class _Outbox:
    """A session's pending after-commit events, each with the savepoint it was published in."""

    settings: Settings | None = None
    pending: dict[Hashable, tuple[SessionTransaction | None, Event]] = field(
        default_factory=dict)


def _outbox(session: Session) -> _Outbox:
    box: _Outbox | None = session.info.get(OUTBOX_KEY)
    if box is None:
        box = session.info[OUTBOX_KEY] = _Outbox()
    return box


def use_settings(session: Session, settings: Settings | None) -> None:
    """Deliver the events of ``session`` with ``settings`` (``Hub.transaction`` does this)."""
    _outbox(session).settings = settings


def settings_of(session: Session) -> Settings | None:
    """The settings events of ``session`` are delivered with (None when none were given)."""
    box: _Outbox | None = session.info.get(OUTBOX_KEY)
    return None if box is None else box.settings


def publish(session: Session, event: Event, *, key: Hashable | None = None) -> None:
    """Publish ``event`` in the transaction of ``session``.

    In-transaction subscribers run now (their errors propagate); after-commit
    subscribers get the event once the transaction commits, never if it (or the
    savepoint it was published in) rolls back.

    Args:
        session: The session whose transaction the event belongs to.
        event: What happened.
        key: Events published with the same key in one transaction are delivered
            once: the last one, in the place of the first.
    """
    _ensure_defaults()
    box = _outbox(session)
    BUS.run_in_transaction(event, Scope(session=session, bind=session.get_bind(),
                                        settings=box.settings))
    if not BUS.subscriptions(event.name, AFTER_COMMIT):
        return
    box.pending[key if key is not None else object()] = (
        session.get_nested_transaction(), event)


def publish_committed(event: Event, *, settings: Settings | None = None,
                      bind: Engine | Connection | None = None,
                      resources: Mapping[str, Any] | None = None) -> None:
    """Hand a fact whose transaction already committed to the after-commit subscribers now.

    Used where the write was committed in its own (retried) transaction, as the
    delivery engine records outcomes. ``resources`` are helpers the subscribers
    share and the caller owns (the engine's webhook sender); never raises.
    """
    _ensure_defaults()
    BUS.deliver([event], Scope(bind=bind, settings=settings, resources=resources))


def pending_events(session: Session) -> list[Event]:
    """The after-commit events ``session`` will deliver if it commits now (tests, debugging)."""
    box: _Outbox | None = session.info.get(OUTBOX_KEY)
    return [] if box is None else [ev for _t, ev in box.pending.values()]


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    box: _Outbox | None = session.info.get(OUTBOX_KEY)
    if box is None or not box.pending:
        return
    if session.get_nested_transaction() is not None:
        # SQLAlchemy fires after_commit for a released savepoint too; the outer
        # transaction may still roll back.
        return
    events = [ev for _t, ev in box.pending.values()]
    box.pending.clear()
    BUS.deliver(events, Scope(bind=session.get_bind(), settings=box.settings))


def _within(tx: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ended:
            return True
        tx = tx.parent
    return False


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    box: _Outbox | None = session.info.get(OUTBOX_KEY)
    if box is None or not box.pending:
        return
    if not previous_transaction.nested:
        box.pending.clear()
        return
    for k in [k for k, (tx, _ev) in box.pending.items() if _within(tx, previous_transaction)]:
        del box.pending[k]


@sa_event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without commit or rollback: what it queued never happened.
    if transaction.parent is None and not transaction.nested:
        box: _Outbox | None = session.info.get(OUTBOX_KEY)
        if box is not None:
            box.pending.clear()

