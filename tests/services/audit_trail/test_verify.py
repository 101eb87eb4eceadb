"""``verify_audit`` and the append-only guard on real SQLite and PostgreSQL: an edited,
deleted, reordered or forged row is named; PostgreSQL refuses to change a row at all;
two writers at once never fork a chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from socialhub.db.engine import make_engine
from socialhub.db.models import AuditEvent, Organization
from socialhub.db.queries.audit import append_audit_rows
from socialhub.services.audit_trail.verify import verify_audit
from socialhub.services.authoring.campaigns import add_campaign


@pytest.fixture
def raw(db_home: str) -> Iterator[Engine]:
    """A plain engine on the test database: the tamperer's own connection."""
    engine = make_engine(db_home)
    yield engine
    engine.dispose()


def _campaigns(hub: Any, n: int) -> None:
    for i in range(n):
        with hub.context("cli") as ctx:
            add_campaign(ctx, f"c{i}")


def _tamper(raw: Engine, sql: str, **params: Any) -> None:
    """Run ``sql`` as a tamperer would: on PostgreSQL a superuser who first turns the
    append-only trigger off."""
    with raw.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(text(sql), params)
        if pg:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _verify(hub: Any) -> Any:
    with hub.context("cli") as ctx:
        return verify_audit(ctx)


def _ids(raw: Engine) -> list[int]:
    with raw.connect() as conn:
        return list(conn.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_an_untouched_trail_verifies_with_its_row_count_and_head(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 3)
    report = _verify(hub)
    assert report.intact and [c.rows for c in report.chains] == [3]
    with raw.connect() as conn:
        last = conn.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    assert report.chains[0].head == last


def test_a_row_edited_by_hand_is_named(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 4)
    target = _ids(raw)[2]
    _tamper(raw, "UPDATE audit_events SET actor = 'mallory' WHERE id = :i", i=target)
    broken = _verify(hub).first_break.broken
    assert (broken.row_id, broken.problem) == (target, "edited")


def test_a_row_deleted_by_hand_is_named_by_the_row_after_it(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 4)
    ids = _ids(raw)
    _tamper(raw, "DELETE FROM audit_events WHERE id = :i", i=ids[1])
    broken = _verify(hub).first_break.broken
    assert (broken.row_id, broken.problem) == (ids[2], "deleted")


def test_rows_swapped_by_hand_are_named_as_reordered(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 4)
    a, b = _ids(raw)[1:3]
    _tamper(raw, "UPDATE audit_events SET id = -1 WHERE id = :a", a=a)
    _tamper(raw, "UPDATE audit_events SET id = :a WHERE id = :b", a=a, b=b)
    _tamper(raw, "UPDATE audit_events SET id = :b WHERE id = -1", b=b)
    broken = _verify(hub).first_break.broken
    assert (broken.row_id, broken.problem) == (a, "reordered")


def test_a_forged_row_is_named(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 2)
    with raw.begin() as conn:
        org = conn.scalar(select(Organization.id))
        head = conn.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        conn.execute(text(
            "INSERT INTO audit_events (org_id, at, actor, action, record_kind, change, "
            "prev_hash, hash) VALUES (:o, :at, 'mallory', 'delete', 'Post', '{}', :p, :h)"),
            {"o": org, "at": "2026-12-06 10:00:00", "p": head, "h": "0" * 64})
        forged = conn.scalar(select(func.max(AuditEvent.id)))
    broken = _verify(hub).first_break.broken
    assert (broken.row_id, broken.problem) == (forged, "edited")


def test_a_second_row_linked_to_the_same_row_is_refused(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 1)
    with raw.connect() as conn:
        org = conn.scalar(select(Organization.id))
        head = conn.scalar(select(AuditEvent.prev_hash).limit(1))
        with pytest.raises(IntegrityError):
            conn.execute(text(
                "INSERT INTO audit_events (org_id, at, actor, action, record_kind, change, "
                "prev_hash, hash) VALUES (:o, '2026-12-06 10:00:00', 'x', 'x', 'Post', '{}', "
                ":p, :h)"), {"o": org, "p": head, "h": "1" * 64})


def test_rows_of_no_organization_form_their_own_chain(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 1)
    with hub.transaction() as s:
        append_audit_rows(s, [{"org_id": None, "actor": "root", "action": "create",
                               "record_kind": "Organization", "record_name": "shop",
                               "change": {}} for _ in range(2)])
    report = _verify(hub)
    assert report.intact and [(c.org_id is None, c.rows) for c in report.chains] == [
        (False, 1), (True, 2)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events",
    "TRUNCATE audit_events"], ids=["update", "delete", "truncate"])
def test_postgresql_refuses_to_change_or_remove_audit_rows(
        hub: Any, raw: Engine, statement: str) -> None:
    if raw.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _campaigns(hub, 2)
    with raw.connect() as conn, pytest.raises(DBAPIError, match="audit_events is append-only"):
        conn.execute(text(statement))
    assert _verify(hub).intact
    assert len(_ids(raw)) == 2


def test_deleting_an_organization_takes_its_whole_chain_with_it(hub: Any, raw: Engine) -> None:
    from socialhub.services.orgs import add_organization

    _campaigns(hub, 1)
    with hub.transaction() as s:
        org = add_organization(s, "gone")
        append_audit_rows(s, [{"org_id": org.id, "actor": "root", "action": "create",
                               "record_kind": "Post", "change": {}}])
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM organizations WHERE name = 'gone'"))
    with raw.connect() as conn:
        assert conn.scalar(select(func.count(AuditEvent.id))) == 1
    assert _verify(hub).intact


def test_two_concurrent_writers_never_fork_a_chain(hub: Any, raw: Engine) -> None:
    _campaigns(hub, 1)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with hub.context("cli") as ctx:
                    add_campaign(ctx, f"w{worker}-{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(hub)
    assert report.intact and report.chains[0].rows == 31


def test_a_row_hashes_the_same_after_a_round_trip_through_either_database(hub: Any) -> None:
    from datetime import UTC, datetime

    from socialhub.core.audit_chain import genesis_hash, row_hash
    from socialhub.db.queries.audit import chain_rows

    row = {"org_id": None, "at": datetime(2026, 12, 6, 9, 30, 1, 5, tzinfo=UTC),
           "actor": "zoë", "channel": "api", "action": "update", "record_kind": "Post",
           "record_id": 2**30, "record_name": "naïve ✓",
           "change": {"score": {"before": 0.1, "after": 1e-7}, "tags": {"after": ["ü", None]},
                      "n": {"before": -3, "after": True}}}
    expected = row_hash(row, genesis_hash(None))
    with hub.transaction() as s:
        append_audit_rows(s, [dict(row)])
    with hub.transaction() as s:
        (stored,) = list(chain_rows(s, None))
    assert stored["hash"] == expected == row_hash(stored, stored["prev_hash"])
