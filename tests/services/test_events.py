"""The event bus on real SQLite and PostgreSQL: after-commit subscribers hear only of
committed changes, in order, once; audit rows commit or roll back with the change."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from socialhub.db.engine import make_engine, make_session_factory, transaction
from socialhub.db.models import AuditEvent, Organization
from socialhub.services.announce import NOTIFY_CHANNEL, announce_schedule, notify_schedule_changed
from socialhub.services.audit import event_name, record_event
from socialhub.services.event_subscribers import install_default_subscribers
from socialhub.services.events import (
    AFTER_COMMIT,
    BUS,
    IN_TRANSACTION,
    Event,
    EventBus,
    Scope,
    Subscription,
    pending_events,
    publish,
    publish_committed,
    subscribe,
    unsubscribe,
)
from tests.conftest import new_pg_database
from tests.pgcluster import PostgresCluster

Heard = list[tuple[str, Any]]


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def heard() -> Iterator[Heard]:
    """What a test subscriber to ``test.*`` heard after commit: (name, subject)."""
    got: Heard = []
    sub = subscribe("test.*", lambda ev, _scope: got.append((ev.name, ev.subject)))
    yield got
    unsubscribe(sub)


def _audit_rows(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with transaction(sessions) as s:
        return [(r.action, r.record_kind, r.record_name)
                for r in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_after_commit_subscribers_hear_each_event_once_in_publish_order(
        sessions: sessionmaker[Session], heard: Heard) -> None:
    with transaction(sessions) as s:
        for n in range(3):
            publish(s, Event("test.done", subject=n))
        publish(s, Event("other.done", subject="ignored"))
        assert heard == []  # nothing before the commit
    assert heard == [("test.done", 0), ("test.done", 1), ("test.done", 2)]
    with transaction(sessions) as s:
        s.execute(select(1))
    assert len(heard) == 3  # a later commit does not deliver them again


def test_a_rollback_delivers_nothing(sessions: sessionmaker[Session], heard: Heard) -> None:
    with pytest.raises(RuntimeError), transaction(sessions) as s:
        publish(s, Event("test.done", subject="lost"))
        raise RuntimeError("the change failed")
    s = sessions()
    publish(s, Event("test.done", subject="closed without commit"))
    s.close()
    with transaction(sessions) as s:
        publish(s, Event("test.done", subject="kept"))
    assert heard == [("test.done", "kept")]


def test_an_event_published_in_a_rolled_back_savepoint_is_dropped(
        sessions: sessionmaker[Session], heard: Heard) -> None:
    with transaction(sessions) as s:
        publish(s, Event("test.done", subject="outer"))
        with pytest.raises(RuntimeError), s.begin_nested():
            publish(s, Event("test.done", subject="inner, rolled back"))
            raise RuntimeError("savepoint fails")
        with s.begin_nested():
            publish(s, Event("test.done", subject="inner, released"))
        assert [e.subject for e in pending_events(s)] == ["outer", "inner, released"]
    assert heard == [("test.done", "outer"), ("test.done", "inner, released")]


def test_a_released_savepoint_delivers_nothing_until_the_outer_commit(
        sessions: sessionmaker[Session], heard: Heard) -> None:
    # SQLAlchemy fires after_commit when a savepoint is released, too.
    with pytest.raises(RuntimeError), transaction(sessions) as s:
        with s.begin_nested():
            publish(s, Event("test.done", subject="released, then the outer fails"))
        assert heard == []
        raise RuntimeError("the outer transaction fails")
    assert heard == []


def test_events_with_one_key_are_delivered_once_the_last_in_the_first_place(
        sessions: sessionmaker[Session], heard: Heard) -> None:
    with transaction(sessions) as s:
        publish(s, Event("test.a", subject="first"), key="a")
        publish(s, Event("test.b", subject="b"))
        publish(s, Event("test.a", subject="last"), key="a")
    assert heard == [("test.a", "last"), ("test.b", "b")]


def test_a_failing_subscriber_is_logged_and_neither_others_nor_the_caller_notice(
        sessions: sessionmaker[Session], heard: Heard) -> None:
    def broken(_ev: Event, _scope: Scope) -> None:
        raise ValueError("subscriber bug")

    class Records(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.ERROR)
            self.text = ""

        def emit(self, record: logging.LogRecord) -> None:
            self.text += self.format(record)

    # A handler of its own: CLI tests earlier in a worker may stop propagation to root.
    records = Records()
    logging.getLogger("socialhub.services.events").addHandler(records)
    sub = subscribe("test.*", broken)
    later: Heard = []
    after = subscribe("test.*", lambda ev, _s: later.append((ev.name, ev.subject)))
    try:
        with transaction(sessions) as s:
            s.add(Organization(name="still-committed"))
            publish(s, Event("test.done", subject=1))
            publish(s, Event("test.done", subject=2))
    finally:
        unsubscribe(sub)
        unsubscribe(after)
        logging.getLogger("socialhub.services.events").removeHandler(records)
    assert heard == later == [("test.done", 1), ("test.done", 2)]
    assert "subscriber bug" in records.text
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).where(Organization.name == "still-committed")) == 1


def test_audit_rows_commit_with_the_change_and_roll_back_with_it(
        sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(sessions) as s:
        org = Organization(name="gone")
        s.add(org)
        s.flush()
        record_event(s, org.id, "create", "Organization", record_id=org.id, name="gone")
        raise RuntimeError("the change failed")
    assert _audit_rows(sessions) == []
    with transaction(sessions) as s:
        org = Organization(name="kept")
        s.add(org)
        s.flush()
        record_event(s, org.id, "schedule", "Post", record_id=1, name="launch",
                     change={"bluesky:@a": "2026-12-01 09:00"}, actor="ana")
    assert _audit_rows(sessions) == [("schedule", "Post", "launch")]
    with transaction(sessions) as s:
        row = s.scalars(select(AuditEvent)).one()
        assert (row.actor, row.record_id, row.change) == ("ana", 1,
                                                          {"bluesky:@a": "2026-12-01 09:00"})


def test_an_audit_row_in_a_rolled_back_savepoint_is_gone(
        sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        with pytest.raises(RuntimeError), s.begin_nested():
            record_event(s, None, "delete", "Slot", record_id=7)
            raise RuntimeError("savepoint fails")
        record_event(s, None, "create", "Slot", record_id=8)
    assert _audit_rows(sessions) == [("create", "Slot", None)]


def test_record_changes_are_published_under_past_tense_names(
        sessions: sessionmaker[Session]) -> None:
    names: list[str] = []
    sub = subscribe("*", lambda ev, _s: names.append(ev.name), phase=IN_TRANSACTION)
    try:
        with transaction(sessions) as s:
            record_event(s, None, "train", "VoiceProfile", name="brand")
            record_event(s, None, "retry", "Delivery", record_id=3)
    finally:
        unsubscribe(sub)
    assert names == ["voice_profile.trained", "delivery.retried"]
    assert event_name("Post", "publish_now") == "post.publish_requested"


def test_an_in_transaction_subscriber_error_rolls_the_change_back(
        sessions: sessionmaker[Session]) -> None:
    def refuse(_ev: Event, _scope: Scope) -> None:
        raise PermissionError("no")

    sub = subscribe("test.guarded", refuse, phase=IN_TRANSACTION)
    try:
        with pytest.raises(PermissionError), transaction(sessions) as s:
            s.add(Organization(name="refused"))
            publish(s, Event("test.guarded"))
    finally:
        unsubscribe(sub)
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).where(Organization.name == "refused")) == 0


def test_patterns_match_exact_names_prefixes_and_everything() -> None:
    def handler(_ev: Event, _scope: Scope) -> None:
        pass

    assert Subscription("delivery.*", handler, AFTER_COMMIT).matches("delivery.dead")
    assert not Subscription("delivery.*", handler, AFTER_COMMIT).matches("deliveryx.dead")
    assert Subscription("*", handler, AFTER_COMMIT).matches("post.created")
    assert Subscription("post.created", handler, AFTER_COMMIT).matches("post.created")
    assert not Subscription("post.created", handler, AFTER_COMMIT).matches("post.created2")


def test_installing_the_default_subscribers_twice_changes_nothing() -> None:
    bus = EventBus()
    install_default_subscribers(bus)
    once = bus.subscriptions("schedule.changed", AFTER_COMMIT)
    install_default_subscribers(bus)
    install_default_subscribers()  # the process's bus, already installed by conftest
    assert bus.subscriptions("schedule.changed", AFTER_COMMIT) == once
    assert len(once) == 2  # NOTIFY and the webhook
    assert len(BUS.subscriptions("post.created", IN_TRANSACTION)) == 1  # the audit trail


def test_events_are_read_only() -> None:
    data = {"a": 1}
    ev = Event("test.done", data=data)
    data["a"] = 2
    assert ev.data["a"] == 1
    with pytest.raises(TypeError):
        ev.data["a"] = 3  # type: ignore[index]


def test_publish_committed_delivers_at_once_and_closes_what_it_made(
        caplog: pytest.LogCaptureFixture) -> None:
    closed: list[str] = []

    class Helper:
        def close(self) -> None:
            closed.append("made")

    def use(_ev: Event, scope: Scope) -> None:
        scope.resource("made", Helper)
        scope.resource("given", Helper)

    given = Helper()
    sub = subscribe("test.committed", use)
    try:
        publish_committed(Event("test.committed"), resources={"given": given})
    finally:
        unsubscribe(sub)
    assert closed == ["made"]  # the caller's own helper stays open


def _listen(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                           autocommit=True)
    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return conn


def test_a_committed_schedule_change_reaches_a_postgresql_listener_once(
        pg_cluster: PostgresCluster) -> None:
    url = new_pg_database(pg_cluster)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with _listen(url) as listener:
            with pytest.raises(RuntimeError), transaction(sessions) as s:
                notify_schedule_changed(s)
                raise RuntimeError("rolled back")
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
            with transaction(sessions) as s:
                notify_schedule_changed(s)
                announce_schedule(s, "launch", lambda: {"name": "launch"})
                notify_schedule_changed(s)
            assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # only one
    finally:
        engine.dispose()


def test_the_notify_is_sent_only_after_the_commit(pg_cluster: PostgresCluster) -> None:
    url = new_pg_database(pg_cluster)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    seen: list[int] = []
    try:
        with _listen(url) as listener:
            with transaction(sessions) as s:
                s.add(Organization(name="visible"))
                notify_schedule_changed(s)
            for _n in listener.notifies(timeout=2, stop_after=1):
                with transaction(sessions) as s2:  # what a woken daemon reads
                    seen.append(s2.scalar(select(func.count()).select_from(Organization)) or 0)
        assert seen == [1]
    finally:
        engine.dispose()

