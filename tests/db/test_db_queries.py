"""The queries of db/queries on both databases.

The calendar read through the database driver alone (the TUI's quick first paint)
answers exactly what the SQLAlchemy calendar service answers, or declines.

One database (SQLite, then a real PostgreSQL one) is seeded through the
services with what makes a calendar hard: posts in several zones and at local
midnights, threads, every delivery status (and a retried delivery whose
latest row wins), drafts with a time, canceled posts, another organization,
weekly slots (one swallowed by a DST gap, one taken by a post). Both readers
then answer for months and weeks around month ends and DST changes, seen
from four zones.

The other queries are held to what their docstrings promise (filters, order,
organization isolation) on the seeded database or on two organizations built
alike (``world``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from socialhub.core.calendar_view import View
from socialhub.core.when import localize
from socialhub.db.models import (
    Account,
    AIUsage,
    Attempt,
    Campaign,
    Delivery,
    Organization,
    Post,
    Slot,
    Variant,
    VoiceProfile,
)
from socialhub.db.queries import delivery as delivery_queries
from socialhub.db.queries import posts as post_queries
from socialhub.db.queries import queue as queue_queries
from socialhub.db.queries.calendar import (
    DirectDatabase,
    calendar_rows,
    calendar_rows_direct,
    direct_database,
    read_calendar_direct,
)
from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.board import calendar_data
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.scheduling import cancel_post, schedule_post
from socialhub.services.authoring.slots import add_slot
from socialhub.services.hub import Hub
from socialhub.services.orgs import add_organization
from socialhub.services.publishing.delivery_claim import claim_due_deliveries
from socialhub.services.settings import load_config
from tests.conftest import new_pg_database
from tests.pgcluster import PostgresCluster

NOW = datetime.fromisoformat("2026-10-01T00:00:00+00:00")
MA, BS, X = "mastodon:@me@social.example", "bluesky:@shop.example.com", "x:@brand"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu")
VIEWS: list[tuple[View, date]] = [
    ("month", date(2026, 10, 15)), ("month", date(2026, 11, 3)), ("month", date(2026, 12, 31)),
    ("month", date(2027, 1, 10)), ("month", date(2027, 2, 1)), ("month", date(2027, 3, 28)),
    ("week", date(2026, 11, 30)), ("week", date(2027, 3, 27)),
    ("week", date(2026, 10, 25)),
]


@dataclass
class Seeded:
    hub: Hub
    database: DirectDatabase


def seed(hub: Hub) -> None:
    rng = random.Random(7)
    with hub.context("cli") as ctx:
        for platform, handle in (("mastodon", "me@social.example"),
                                 ("bluesky", "shop.example.com"), ("x", "brand")):
            add_account(ctx, platform=platform, handle=handle)
        add_slot(ctx, MA, weekday="tue", time="10:00", zone="Europe/Berlin")
        add_slot(ctx, BS, weekday="sun", time="02:30", zone="Europe/Berlin")  # DST gap
        add_slot(ctx, X, weekday="fri", time="09:00", zone="America/New_York")
        timed: list[tuple[str, datetime, str]] = [
            ("midnight", datetime(2026, 12, 1, 0, 0), "Europe/Berlin"),
            ("just-before", datetime(2026, 11, 30, 23, 59), "Europe/Berlin"),
            ("on-a-slot", datetime(2026, 11, 3, 10, 0), "Europe/Berlin"),  # takes MA's slot
            ("dst-day", datetime(2027, 3, 28, 3, 30), "Europe/Berlin"),
        ]
        for i in range(48):
            day = date(2026, 10, 2) + timedelta(days=rng.randrange(180))
            timed.append((f"p{i}", datetime(day.year, day.month, day.day, rng.randrange(24),
                                            rng.choice((0, 15, 30, 45))), rng.choice(ZONES)))
        for name, local, zone in timed:
            at = localize(local, zone)
            account = MA if name == "on-a-slot" else rng.choice((MA, BS, X))
            thread = ["one", "two", "three"] if account == BS and rng.random() < 0.5 else None
            create_post(ctx, body=f"{name} body  with\nspaces", name=name,
                        targets=[TargetSpec(account=account, thread=thread, at=at)])
            if not name.endswith("7"):  # p7, p17…: drafts that have a time
                schedule_post(ctx, name, now=NOW)
        create_post(ctx, body="no time yet", name="undated", targets=[TargetSpec(account=MA)])
        cancel_post(ctx, "p3")
        deliveries = list(ctx.session.scalars(select(Delivery).order_by(Delivery.id)))
        for delivery, status in zip(deliveries[::5], ["published", "failed", "dead",
                                                      "unconfirmed", "retry_scheduled",
                                                      "publishing", "published"], strict=False):
            delivery.status = status
        retried = deliveries[1]  # a dead first try, then a newer delivery that went out
        retried.status = "dead"
        ctx.session.add(Delivery(variant_id=retried.variant_id, account_id=retried.account_id,
                                 due_at=retried.due_at, next_attempt_at=retried.due_at,
                                 status="published", idempotency_key="retried-1"))
    other = Hub(load_config(env={**os.environ, "SOCIALHUB_ORGANIZATION": "other"}))
    try:
        with other.transaction() as s:
            add_organization(s, "other")  # only an explicit command creates a second org
            with other.context("cli", session=s) as ctx:
                add_account(ctx, platform="mastodon", handle="me@social.example")
                create_post(ctx, body="not ours", name="theirs", targets=[
                    TargetSpec(account=MA, at=localize(datetime(2026, 11, 3, 12), "UTC"))])
                schedule_post(ctx, "theirs", now=NOW)
    finally:
        other.dispose()


@pytest.fixture
def seeded(hub: Hub, db_home: str, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW.isoformat())  # the service's "now" too
    seed(hub)
    database = direct_database(db_home)
    assert database is not None
    return Seeded(hub, database)


def service_answer(hub: Hub, view: View, anchor: date, zone: str) -> object:
    with hub.context("cli") as ctx:
        return calendar_data(ctx, view, anchor, zone)


def test_both_readers_answer_alike_for_months_and_weeks_seen_from_any_zone(
        seeded: Seeded) -> None:
    seen: set[str] = set()
    entries = 0
    for zone in ZONES:
        for view, anchor in VIEWS:
            quick = read_calendar_direct(seeded.database, "default", view, anchor, zone, NOW)
            assert quick is not None, (view, anchor, zone)
            assert quick == service_answer(seeded.hub, view, anchor, zone), (view, anchor, zone)
            for day in quick.days.values():
                entries += len(day)
                seen |= {e["status"] for e in day}
                seen |= {"thread" for e in day if e["thread_parts"] == 3}
                seen |= {"theirs" for e in day if e["post"] == "theirs"}
                seen |= {"canceled" for e in day if e["post"] == "p3"}
    # The comparison covered what makes the calendar hard, and nothing leaked in.
    assert {"scheduled", "draft", "published", "failed", "dead", "unconfirmed",
            "retry_scheduled", "publishing", "free", "thread"} <= seen
    assert not seen & {"theirs", "canceled"}
    assert entries > 200


def test_the_latest_delivery_of_a_target_decides_its_colour(seeded: Seeded) -> None:
    with seeded.hub.transaction() as s:
        retried = s.scalar(select(Post.name).join(Variant).join(
            Delivery, Delivery.variant_id == Variant.id).where(
            Delivery.idempotency_key == "retried-1"))
        at = s.scalar(select(Variant.scheduled_at).join(Post).where(Post.name == retried))
    assert retried is not None and at is not None
    quick = read_calendar_direct(seeded.database, "default", "month", at.date(), "UTC", NOW)
    assert quick is not None
    [entry] = [e for e in quick.days[at.date()] if e["post"] == retried]
    assert entry["status"] == "published"  # not the dead first delivery


def test_a_slot_a_dst_gap_swallows_and_a_taken_slot_are_not_offered(seeded: Seeded) -> None:
    quick = read_calendar_direct(seeded.database, "default", "week", date(2027, 3, 27),
                                 "Europe/Berlin", NOW)
    assert quick is not None
    gap_day = [e for e in quick.days.get(date(2027, 3, 28), []) if e["kind"] == "slot"]
    assert gap_day == []  # 02:30 does not exist in Berlin that Sunday
    november = read_calendar_direct(seeded.database, "default", "month", date(2026, 11, 3),
                                    "Europe/Berlin", NOW)
    assert november is not None
    tuesday = november.days[date(2026, 11, 3)]
    assert [(e["kind"], e["time"]) for e in tuesday if e["account"] == MA] == [("post", "10:00")]
    assert ("slot", "10:00") in [(e["kind"], e["time"])
                                 for e in november.days[date(2026, 11, 10)]]


def test_a_free_slot_that_has_passed_is_not_offered(
        seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen on Tuesday 10 November at noon, that week's free slots before noon are gone
    (they can no longer be filled), the ones after it are still offered; both readers
    agree."""
    later = datetime(2026, 11, 10, 12, tzinfo=UTC)
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", later.isoformat())
    quick = read_calendar_direct(seeded.database, "default", "week", later.date(), "UTC",
                                 later)
    assert quick is not None and quick == service_answer(seeded.hub, "week", later.date(),
                                                         "UTC")
    free = [e for day in quick.days.values() for e in day if e["kind"] == "slot"]
    assert free and all(datetime.fromisoformat(e["at"]) > later for e in free)
    before = read_calendar_direct(seeded.database, "default", "week", later.date(), "UTC",
                                  NOW)
    assert before is not None
    assert any(datetime.fromisoformat(e["at"]) <= later for day in before.days.values()
               for e in day if e["kind"] == "slot")  # the same week seen from before


def test_it_declines_what_only_the_full_service_can_answer(seeded: Seeded) -> None:
    anchor = date(2026, 11, 3)
    assert read_calendar_direct(seeded.database, "nobody", "month", anchor, "UTC", NOW) is None
    with seeded.hub.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert read_calendar_direct(seeded.database, "default", "month", anchor, "UTC", NOW) is None


def test_a_sqlite_file_that_does_not_exist_is_left_to_the_service_to_create(
        tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.sqlite"
    assert read_calendar_direct(DirectDatabase(sqlite_file=missing), "default", "month",
                                date(2026, 11, 3), "UTC", NOW) is None
    assert not missing.exists()  # a read never creates the database


def test_a_postgresql_server_that_does_not_answer_is_left_to_the_service(
        tmp_path: Path) -> None:
    nowhere = direct_database("postgresql+psycopg://me:secret@127.0.0.1:9/socialhub")
    assert nowhere is not None
    assert read_calendar_direct(nowhere, "default", "month", date(2026, 11, 3), "UTC", NOW) is None


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:////srv/socialhub.sqlite", DirectDatabase(sqlite_file=Path("/srv/socialhub.sqlite"))),
    ("sqlite:///relative/db.sqlite", DirectDatabase(sqlite_file=Path("relative/db.sqlite"))),
    ("sqlite+pysqlite:////srv/x.sqlite", DirectDatabase(sqlite_file=Path("/srv/x.sqlite"))),
    ("postgresql+psycopg://me:p%40ss@db.lan:5433/socialhub",
     DirectDatabase(postgres_uri="postgresql://me:p%40ss@db.lan:5433/socialhub")),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("sqlite:////srv/x.sqlite?timeout=5", None),  # options: SQLAlchemy's to read
    ("sqlite:////srv/with%20space.sqlite", None),
    ("postgresql+psycopg://me@db.lan/socialhub?sslmode=require", None),
    ("postgresql://me@db.lan/socialhub", None),  # SQLAlchemy's psycopg2 dialect
    ("mysql://me@db.lan/socialhub", None),
])
def test_only_plain_urls_are_read_directly(url: str, expected: DirectDatabase | None) -> None:
    assert direct_database(url) == expected


# --- the calendar's two reads, row for row -------------------------------------------------

def test_the_sqlalchemy_and_driver_calendar_rows_are_the_same_rows(seeded: Seeded) -> None:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC)
    quick = calendar_rows_direct(seeded.database, "default", start, end)
    assert quick is not None
    with seeded.hub.transaction() as s:
        full = calendar_rows(s, seeded.hub.org_id(s), start, end)
    assert sorted(quick[0]) == sorted(full[0]) and len(full[0]) > 40
    assert sorted(quick[1]) == sorted(full[1]) and len(full[1]) == 3
    assert all(t.at.tzinfo is UTC for t in quick[0])


# --- the claim's queries: due rows, leases, and giving them back ----------------------------

FAR = datetime(2028, 1, 1, tzinfo=UTC)  # every seeded delivery is due by then


def _expected_due(session: Session, at: datetime) -> list[int]:
    """The due deliveries worked out in Python from every row (what due_condition says)."""
    rows = session.execute(select(Delivery, Account.status).join(
        Account, Account.id == Delivery.account_id)).all()
    naive = at.replace(tzinfo=None)

    def before(t: datetime | None) -> bool:
        return t is not None and t.replace(tzinfo=None) <= naive

    due = [d for d, status in rows if status == "active" and (
        (d.status in ("scheduled", "retry_scheduled", "unconfirmed")
         and before(d.next_attempt_at)
         and (d.lease_expires_at is None or before(d.lease_expires_at)))
        or (d.status in ("claimed", "publishing") and before(d.lease_expires_at)))]
    due.sort(key=lambda d: (d.next_attempt_at.replace(tzinfo=None), d.id))
    return [d.id for d in due]


def test_due_candidates_follow_the_due_rule_oldest_first_and_skip_what_they_are_told(
        seeded: Seeded) -> None:
    with seeded.hub.transaction() as s:
        # Leases that ran out mix into the waiting rows in due order; a live lease and a
        # paused account's rows stay out.
        paused = s.scalars(select(Account).where(Account.org_id == seeded.hub.org_id(s))
                           .order_by(Account.id.desc())).first()
        assert paused is not None
        rows = list(s.scalars(select(Delivery).where(
            Delivery.status == "scheduled", Delivery.account_id != paused.id)
            .order_by(Delivery.next_attempt_at, Delivery.id)))
        for delivery, status in zip(rows[2:11:3], ("claimed", "publishing", "claimed"),
                                    strict=True):
            delivery.status, delivery.lease_expires_at = status, FAR - timedelta(minutes=1)
        rows[1].status, rows[1].lease_expires_at = "claimed", FAR + timedelta(minutes=1)
        paused.status = "paused"
    with seeded.hub.transaction() as s:
        expected = _expected_due(s, FAR)
        statuses = {d.status for d in s.scalars(select(Delivery).where(
            Delivery.id.in_(expected[:12])))}
        assert {"claimed", "publishing", "scheduled"} <= statuses
        assert not any(d.account_id == paused.id for d in s.scalars(
            select(Delivery).where(Delivery.id.in_(expected))))
        assert s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.account_id == paused.id, Delivery.status == "scheduled"))
        assert len(expected) > 20
        got = delivery_queries.due_candidates(s, FAR, limit=1000)
        assert [d.id for d in got] == expected
        assert delivery_queries.count_due(s, FAR) == len(expected)
        for limit in (1, 5, 9):  # cut inside and across the leases that ran out
            assert [d.id for d in delivery_queries.due_candidates(s, FAR, limit=limit)] == (
                expected[:limit])
        no_x = delivery_queries.due_candidates(s, FAR, limit=1000, skip_platforms=["x"])
        assert no_x and all(d.platform != "x" for d in no_x)
        first_account = got[0].account_id
        others = delivery_queries.due_candidates(s, FAR, limit=1000,
                                                 skip_accounts=[first_account])
        assert others and all(d.account_id != first_account for d in others)
        assert delivery_queries.due_candidates(s, NOW - timedelta(days=1), limit=10) == []
        # Nothing is due before the first scheduled time; that time is the next due one.
        first_due = min(d.next_attempt_at for d in got if d.status == "scheduled")
        assert delivery_queries.next_due_time(s, NOW) == first_due


def test_leases_are_counted_for_other_owners_and_given_back(seeded: Seeded) -> None:
    until = FAR + timedelta(minutes=5)
    with seeded.hub.transaction() as s:
        claims = claim_due_deliveries(s, "host:1:aa", FAR, limit=4, lease_seconds=300)
        assert len(claims) == 4
    with seeded.hub.transaction() as s:
        held = dict(delivery_queries.leases_held_elsewhere(s, "host:2:bb", FAR))
        assert sum(held.values()) == 4
        assert delivery_queries.leases_held_elsewhere(s, "host:1:aa", FAR) == []
        expiry = delivery_queries.next_lease_expiry(s, FAR)
        assert expiry is not None and expiry.replace(tzinfo=None) == until.replace(tzinfo=None)
        assert delivery_queries.live_lease_owners(s, "host:%", other_than="x", now=FAR) == [
            "host:1:aa"]
        assert delivery_queries.live_lease_owners(s, "host:%", other_than="host:1:aa",
                                                  now=FAR) == []
        sending = s.get(Delivery, claims[0].delivery_id)
        assert sending is not None
        sending.status = "publishing"
    with seeded.hub.transaction() as s:
        assert delivery_queries.unclaim(s, "host:1:aa") == 3
        assert delivery_queries.end_sending_leases(s, "host:1:aa", FAR) == 1
    with seeded.hub.transaction() as s:
        rows = [s.get(Delivery, c.delivery_id) for c in claims]
        assert [d.status for d in rows if d] == ["publishing", "scheduled", "scheduled",
                                                 "scheduled"]
        assert [d.lease_owner for d in rows if d][1:] == [None, None, None]
        assert delivery_queries.end_leases_of(s, ["host:1:aa"], FAR) == 1
        assert delivery_queries.leases_held_elsewhere(s, "host:2:bb", FAR) == []


def test_a_second_claim_skips_the_rows_a_first_one_holds_on_postgresql(
        seeded: Seeded) -> None:
    with seeded.hub.transaction() as s:
        if not delivery_queries.is_postgres(s):
            pytest.skip("SQLite claims are exclusive (BEGIN IMMEDIATE); no row locks")
    first = seeded.hub.sessions()
    second = seeded.hub.sessions()
    try:
        held = [d.id for d in delivery_queries.due_candidates(first, FAR, limit=3)]
        rest = [d.id for d in delivery_queries.due_candidates(second, FAR, limit=1000)]
        assert len(held) == 3 and not set(held) & set(rest)
        with seeded.hub.transaction() as s:
            assert rest == _expected_due(s, FAR)[3:]
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()


def test_a_claim_on_postgresql_reads_the_rows_it_takes_not_every_due_row(
        pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deep queue (5,000 due) does not make each claim sort the whole queue: the claim
    walks ix_deliveries_open_due in due order and stops at its limit."""
    from sqlalchemy import event, insert

    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", new_pg_database(pg_cluster))
    hub = Hub(load_config())
    try:
        with hub.context("cli") as ctx:
            account = add_account(ctx, platform="mastodon", handle="me@social.example")
            create_post(ctx, body="queued", name="queued",
                        targets=[TargetSpec(account=MA, at=localize(datetime(2026, 10, 1), "UTC"))])
            variant = ctx.session.scalars(select(Variant)).one()
            ctx.session.execute(insert(Delivery), [
                {"variant_id": variant.id, "account_id": account.id, "status": "scheduled",
                 "due_at": NOW, "next_attempt_at": NOW + timedelta(seconds=i % 600),
                 "idempotency_key": f"deep-{i}", "attempts": 0, "thread_progress": []}
                for i in range(5000)])
        with hub.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        statements: list[tuple[str, object]] = []

        def capture(conn: object, cursor: object, statement: str, parameters: object,
                    context: object, executemany: bool) -> None:
            statements.append((statement, parameters))

        event.listen(hub.engine, "before_cursor_execute", capture)
        with hub.transaction() as s:
            taken = delivery_queries.due_candidates(s, FAR, limit=16)
        event.remove(hub.engine, "before_cursor_execute", capture)
        assert len(taken) == 16
        waiting = next(st for st in statements if "'scheduled'" in st[0])
        with hub.engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + waiting[0],
                                        waiting[1]).scalar_one()  # type: ignore[arg-type]
            conn.rollback()
        nodes = list(_plan_nodes(plan[0]["Plan"]))
        scans = [n for n in nodes if n.get("Relation Name") == "deliveries"]
        assert [n.get("Index Name") for n in scans] == ["ix_deliveries_open_due"]
        assert scans[0]["Actual Rows"] <= 16
        assert not any(n["Node Type"] == "Sort" for n in nodes)
    finally:
        hub.dispose()


def test_id_lists_on_postgresql_are_one_statement_whatever_their_length(
        pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch,
        counting: list[str]) -> None:
    """A settle's reads and writes of many ids send the same text for 2 ids as for 5 (one
    prepared statement, planned once), with the constant they filter on written into it:
    as a parameter, a reused plan scanned every delivery (docs/performance.md)."""
    from socialhub.db.queries import delivery_records as records

    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", new_pg_database(pg_cluster))
    hub = Hub(load_config())
    hub.engine  # noqa: B018 - opened (and its schema checked) before anything is counted

    def run_all(ids: list[int]) -> list[str]:
        counting.clear()
        with hub.transaction() as s:
            records.send_rows(s, ids)
            records.settle_rows(s, ids)
            records.thread_progress_of(s, ids)
            records.mark_posts_publishing(s, ids)
            delivery_queries.posts_delivery_statuses(s, ids)
            delivery_queries.due_candidates(s, FAR, limit=5, skip_accounts=ids,
                                            skip_platforms=[str(i) for i in ids])
        return list(counting)

    try:
        two, five = run_all([1, 2]), run_all([1, 2, 3, 4, 5])
        assert two == five
        assert sum("'canceled'" in t for t in two) == 2  # the posts read and the posts write
        assert not any("%(ids_" in t or "%(pids_" in t for t in two)
    finally:
        hub.dispose()


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an ``EXPLAIN (FORMAT JSON)`` plan, parents first."""
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


# --- the queue's and posts' reads ------------------------------------------------------------

def test_queue_reads_stay_inside_the_organization(seeded: Seeded) -> None:
    with seeded.hub.transaction() as s:
        org = seeded.hub.org_id(s)
        ours = s.scalars(select(Delivery).join(Variant).join(Post).where(
            Post.org_id == org).order_by(Delivery.id)).all()
        theirs = s.scalar(select(Delivery).join(Variant).join(Post).where(Post.org_id != org))
        assert theirs is not None and ours
        assert queue_queries.delivery_in_org(s, org, ours[0].id) is ours[0]
        assert queue_queries.delivery_in_org(s, org, theirs.id) is None
        assert sorted(d.id for d in queue_queries.deliveries_by_id(
            s, [ours[0].id, theirs.id, 10**9])) == sorted([ours[0].id, theirs.id])
        s.add_all([Attempt(delivery_id=ours[0].id, worker=w, started_at=NOW, outcome="x")
                   for w in ("b", "a")])
        s.flush()
        assert [a.worker for a in queue_queries.attempts_of(s, ours[0].id)] == ["b", "a"]
        retried = delivery_queries.latest_live_delivery(s, ours[1].variant_id)
        assert retried is not None and retried.idempotency_key == "retried-1"


def test_post_lists_are_ordered_by_first_time_with_drafts_last_and_counted_alike(
        seeded: Seeded) -> None:
    with seeded.hub.transaction() as s:
        org = seeded.hub.org_id(s)
        where = post_queries.post_conditions(org, status=None, campaign_id=None,
                                             account_id=None, start=None, end=None)
        posts = post_queries.list_posts(s, where)
        assert posts[-1].name == "undated" and "theirs" not in {p.name for p in posts}
        assert post_queries.count_posts(s, where) == len(posts)
        firsts = [min(v.scheduled_at for v in p.variants if v.scheduled_at is not None)
                  for p in posts[:-1]]
        assert firsts == sorted(firsts)
        assert [p.name for p in post_queries.list_posts(s, where, offset=3, limit=4)] == [
            p.name for p in posts[3:7]]
        scheduled = post_queries.post_conditions(org, status="scheduled", campaign_id=None,
                                                 account_id=None, start=None,
                                                 end=datetime(2026, 12, 1, tzinfo=UTC))
        assert {p.status for p in post_queries.list_posts(s, scheduled)} == {"scheduled"}
        assert post_queries.post_id_named(s, org, "midnight") is not None
        assert post_queries.post_id_named(s, org, "theirs") is None


# --- the reads and statements moved out of the services -------------------------------------

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Two organizations with the same account refs, names and shapes, so a query that
    forgets the organization shows it."""

    hub: Hub
    org: int
    other: int
    ids: dict[str, int]


def _populate(s: Session, org_id: int, tag: str) -> dict[str, int]:
    """Accounts, voices, campaigns, slots, posts with targets and deliveries, attempts and
    AI usage for one organization; the ids by a short name."""
    ids: dict[str, int] = {}
    accounts = {
        "x": Account(org_id=org_id, platform="x", handle="brand", external_id=f"x-{tag}"),
        "ma_b": Account(org_id=org_id, platform="mastodon", handle="b@social.example",
                        base_url="https://social.example", settings={"tag": tag}),
        "ma_a": Account(org_id=org_id, platform="mastodon", handle="a@social.example",
                        base_url="https://social.example"),
        "ma_o": Account(org_id=org_id, platform="mastodon", handle="c@other.example",
                        base_url="https://other.example"),
        "bs": Account(org_id=org_id, platform="bluesky", handle="shop.example.com",
                      settings={"credential_refs": {"app_password": f"env:{tag}"}}),
    }
    voices = [VoiceProfile(org_id=org_id, name=n, is_default=n == "plain")
              for n in ("warm", "plain", "brisk")]
    campaigns = [Campaign(org_id=org_id, name=n, starts_on=d) for n, d in (
        ("spring", date(2030, 3, 1)), ("autumn", date(2030, 9, 1)), ("undated", None),
        ("also-spring", date(2030, 3, 1)))]
    s.add_all([*accounts.values(), *voices, *campaigns])
    s.flush()
    ids |= {f"account:{k}": a.id for k, a in accounts.items()}
    ids |= {f"voice:{v.name}": v.id for v in voices}
    s.add_all([Slot(account_id=accounts[k].id, weekday=d, time=t, timezone="UTC")
               for k, d, t in (("x", 4, "09:00"), ("ma_a", 1, "10:00"), ("ma_a", 1, "08:30"),
                               ("ma_a", 0, "12:00"), ("bs", 6, "02:30"))])
    posts: dict[str, Post] = {}
    for name, status in (("one", "scheduled"), ("two", "scheduled"), ("gone", "canceled"),
                         ("three", "scheduled")):
        posts[name] = Post(org_id=org_id, name=name, body=f"{name} {tag}", status=status)
    s.add_all(posts.values())
    s.flush()
    ids |= {f"post:{k}": p.id for k, p in posts.items()}
    # (post, account, next attempt in hours from T0, status) of each delivery, in id order.
    plan = [("one", "x", 3, "scheduled"), ("one", "ma_a", 1, "dead"),
            ("two", "x", 1, "retry_scheduled"), ("two", "ma_a", 1, "published"),
            ("gone", "x", 0, "canceled"), ("three", "bs", 2, "unconfirmed"),
            ("one", "ma_a", 5, "scheduled")]
    variants: dict[tuple[str, str], Variant] = {}
    for post, account, hours, status in plan:
        key = (post, account)
        if key not in variants:
            variants[key] = Variant(post_id=posts[post].id, account_id=accounts[account].id,
                                    text=f"{post} on {account}", thread=[], media=[],
                                    options={"o": 1}, first_comment="first",
                                    scheduled_at=T0 + timedelta(hours=hours))
            s.add(variants[key])
            s.flush()
            ids[f"variant:{post}:{account}"] = variants[key].id
        d = Delivery(variant_id=variants[key].id, account_id=accounts[account].id,
                     due_at=T0 + timedelta(hours=hours), status=status,
                     next_attempt_at=T0 + timedelta(hours=hours),
                     idempotency_key=f"{tag}-{len(ids)}-{post}-{account}")
        s.add(d)
        s.flush()
        ids[f"delivery:{post}:{account}:{hours}"] = d.id
    s.add_all([AIUsage(org_id=org_id, provider="offline", model="m", task="t", cost_usd=c,
                       at=T0 + timedelta(days=days)) for c, days in ((1.5, -40), (0.25, 0),
                                                                     (0.5, 3))])
    s.flush()
    return ids


@pytest.fixture
def world(hub: Hub) -> World:
    with hub.transaction() as s:
        org = hub.org_id(s)
        other = add_organization(s, "other").id
        s.add(Organization(name="empty"))  # no members at all
        s.flush()
        _populate(s, other, "theirs")  # first: the other organization's ids come lower
        ids = _populate(s, org, "ours")
    return World(hub, org, other, ids)


def test_account_reads_stay_inside_the_organization_and_keep_their_order(
        world: World) -> None:
    from socialhub.db.queries import accounts as q

    with world.hub.transaction() as s:
        assert [a.ref for a in q.accounts_of(s, world.org)] == [
            "bluesky:@shop.example.com", "mastodon:@a@social.example",
            "mastodon:@b@social.example", "mastodon:@c@other.example", "x:@brand"]
        assert [a.handle for a in q.accounts_of(s, world.org, "mastodon")] == [
            "a@social.example", "b@social.example", "c@other.example"]
        assert {a.org_id for a in q.accounts_of(s, world.other)} == {world.other}
        found = q.account_by_external_id(s, world.org, "x", "x-ours")
        assert found is not None and found.id == world.ids["account:x"]
        assert q.account_by_external_id(s, world.org, "x", "x-theirs") is None
        assert q.account_by_external_id(s, world.org, "mastodon", "x-ours") is None
        on = q.accounts_on_instance(s, world.org, "mastodon", "https://social.example")
        assert sorted(a.id for a in on) == sorted(
            [world.ids["account:ma_a"], world.ids["account:ma_b"]])
        assert q.accounts_on_instance(s, world.org, "x", "https://social.example") == []
        assert q.account_settings(s, world.org, "mastodon", "b@social.example") == {
            "tag": "ours"}
        assert q.account_settings(s, world.other, "mastodon", "b@social.example") == {
            "tag": "theirs"}
        assert q.account_settings(s, world.org, "mastodon", "nobody@social.example") is None


def test_campaign_voice_and_slot_lists_keep_their_order_and_organization(
        world: World) -> None:
    from socialhub.db.queries import campaigns as cq
    from socialhub.db.queries import slots as sq
    from socialhub.db.queries import voices as vq

    with world.hub.transaction() as s:
        names = [c.name for c in cq.campaigns_of(s, world.org)]
        dated = ["also-spring", "spring", "autumn"]  # by date, then name
        # Without a date: last, on both databases (a cursor needs one order).
        assert names == [*dated, "undated"]
        assert [c.name for c in cq.campaigns_of(s, world.org, offset=1, limit=2)] == names[1:3]
        assert cq.count_campaigns(s, world.org) == 4
        assert {c.org_id for c in cq.campaigns_of(s, world.other)} == {world.other}
        assert cq.count_campaigns(s, 10**9) == 0

        assert [v.name for v in vq.voices_of(s, world.org)] == ["brisk", "plain", "warm"]
        default = vq.default_voice(s, world.org)
        assert default is not None and default.id == world.ids["voice:plain"]
        named = vq.voice_named(s, world.org, "warm")
        assert named is not None and named.org_id == world.org
        vq.clear_defaults_except(s, world.org, world.ids["voice:warm"])
        assert vq.default_voice(s, world.org) is None
        theirs = vq.default_voice(s, world.other)
        assert theirs is not None and theirs.name == "plain"  # the other org's is kept

        ordered = [(s_.account.ref, s_.weekday, s_.time) for s_ in sq.org_slots(s, world.org)]
        assert ordered == [("bluesky:@shop.example.com", 6, "02:30"),
                           ("mastodon:@a@social.example", 0, "12:00"),
                           ("mastodon:@a@social.example", 1, "08:30"),
                           ("mastodon:@a@social.example", 1, "10:00"),
                           ("x:@brand", 4, "09:00")]
        ma = world.ids["account:ma_a"]
        assert [s_.time for s_ in sq.org_slots(s, world.org, ma)] == ["12:00", "08:30", "10:00"]
        assert sq.org_slots(s, world.other, ma) == []  # our account, their organization
        some = sq.slots_of_accounts(s, [ma, world.ids["account:x"]])
        assert sorted(s_.time for s_ in some) == ["08:30", "09:00", "10:00", "12:00"]


def test_post_lookups_load_targets_and_stay_inside_the_organization(world: World) -> None:
    from socialhub.db.queries import manifests as mq
    from socialhub.db.queries import posts as pq

    with world.hub.transaction() as s:
        one = pq.post_named(s, world.org, "one")
        assert one is not None and one.id == world.ids["post:one"]
        assert "variants" not in inspect(one).unloaded
        assert [v.account.handle for v in one.variants] == ["brand", "a@social.example"]
        assert pq.post_by_id(s, world.org, world.ids["post:two"]) is not None
        theirs = pq.post_named(s, world.other, "two")
        assert theirs is not None
        assert pq.post_by_id(s, world.org, theirs.id) is None
        assert pq.post_named(s, world.org, "nothing") is None

        named = mq.posts_named(s, world.org, ["one", "gone", "nothing"])
        assert sorted(p.name for p in named) == ["gone", "one"]
        assert {p.org_id for p in named} == {world.org}
        assert all("variants" not in inspect(p).unloaded for p in named)


def test_the_queue_lists_the_organizations_deliveries_soonest_first_and_counts_alike(
        world: World) -> None:
    from socialhub.db.queries import queue as q

    with world.hub.transaction() as s:
        everything = ["scheduled", "retry_scheduled", "dead", "published", "canceled",
                      "unconfirmed"]
        rows = q.deliveries_in(s, world.org, everything)
        assert len(rows) == 7 and q.count_deliveries_in(s, world.org, everything) == 7
        keys = [(d.next_attempt_at, d.id) for d in rows]
        assert keys == sorted(keys)
        assert all(d.variant.post.org_id == world.org for d in rows)
        assert all("credential" not in inspect(d.account).unloaded for d in rows)
        waiting = q.deliveries_in(s, world.org, ["scheduled", "retry_scheduled"])
        assert [d.id for d in waiting] == [world.ids["delivery:two:x:1"],
                                           world.ids["delivery:one:x:3"],
                                           world.ids["delivery:one:ma_a:5"]]
        assert q.count_deliveries_in(s, world.org, ["scheduled", "retry_scheduled"]) == 3
        assert [d.id for d in q.deliveries_in(s, world.org, ["scheduled", "retry_scheduled"],
                                              offset=1, limit=1)] == [waiting[1].id]
        assert q.deliveries_in(s, world.org, ["claimed"]) == []
        assert q.count_deliveries_in(s, 10**9, everything) == 0


def test_organizations_ai_spend_and_a_demos_deliveries(world: World) -> None:
    from socialhub.db.queries import ai_usage as aq
    from socialhub.db.queries import orgs as oq

    with world.hub.transaction() as s:
        listed = oq.organizations_with_member_counts(s)
        assert [(name, n) for name, n, _ in listed] == [("default", 1), ("empty", 0),
                                                        ("other", 1)]
        assert all(isinstance(created, datetime) for _, _, created in listed)
        assert oq.organization_id_named(s, "other") == world.other

        assert aq.spend_since(s, world.org, T0) == pytest.approx(0.75)  # at T0 counts
        assert aq.spend_since(s, world.org, T0 + timedelta(days=1)) == pytest.approx(0.5)
        assert aq.spend_since(s, world.org, T0 + timedelta(days=9)) == 0.0
        assert aq.spend_since(s, 10**9, T0 - timedelta(days=99)) == 0.0

        ids = [world.ids[k] for k in ("delivery:one:x:3", "delivery:one:ma_a:1",
                                      "delivery:two:ma_a:1", "delivery:three:bs:2",
                                      "delivery:gone:x:0")]
        finished = ["published", "dead", "canceled"]
        assert delivery_queries.count_unfinished(s, ids, finished) == 2
        assert delivery_queries.count_unfinished(s, ids[1:3], finished) == 0
        due = delivery_queries.deliveries_due_first(s, [*ids, 10**9])
        assert due[0].id == world.ids["delivery:gone:x:0"]
        assert [d.due_at for d in due] == sorted(d.due_at for d in due) and len(due) == 5


def test_job_runs_are_upserted_by_name_and_old_daemons_dropped_by_prefix(
        hub: Hub) -> None:
    from socialhub.db.models import JobRun
    from socialhub.db.queries import status as q

    def row(name: str, finished: datetime, status: str) -> dict[str, object]:
        return {"name": name, "owner": "me", "last_started_at": finished,
                "last_finished_at": finished, "last_status": status, "last_error": None,
                "details": {"n": 1}}

    with hub.transaction() as s:
        q.upsert_job_run(s, row("daemon:old", T0, "running"))
        q.upsert_job_run(s, row("daemon:new", T0 + timedelta(days=2), "running"))
        q.upsert_job_run(s, row("publish", T0, "ok"))
        q.upsert_job_run(s, row("publish", T0 + timedelta(hours=1), "error"))
    with hub.transaction() as s:
        runs = {r.name: r for r in q.job_runs(s)}
        assert list(runs) == ["daemon:new", "daemon:old", "publish"]
        assert runs["publish"].last_status == "error"  # the second write won
        finished = runs["publish"].last_finished_at
        assert finished is not None
        assert finished.replace(tzinfo=None) == (T0 + timedelta(hours=1)).replace(tzinfo=None)
        q.delete_job_runs_finished_before(s, "daemon:", T0 + timedelta(days=1))
    with hub.transaction() as s:
        assert [r.name for r in s.scalars(select(JobRun).order_by(JobRun.name))] == [
            "daemon:new", "publish"]  # an old job run that is no daemon's stays


def test_the_send_paths_statements_read_and_write_one_delivery(world: World) -> None:
    from socialhub.db.queries import delivery_records as q

    did = world.ids["delivery:one:x:3"]
    with world.hub.transaction() as s:
        row = q.send_row(s, did)
        assert row is not None
        assert (row["id"], row["post_id"], row["post_name"], row["post_status"]) == (
            did, world.ids["post:one"], "one", "scheduled")
        assert (row["platform"], row["handle"], row["text"], row["first_comment"]) == (
            "x", "brand", "one on x", "first")
        assert row["options"] == {"o": 1} and row["attempts"] == 0
        assert q.send_row(s, 10**9) is None
        both = [world.ids["delivery:two:x:1"], did]
        assert sorted(r["id"] for r in q.send_rows(s, [*both, 10**9])) == sorted(both)

        q.update_delivery(s, did, {"status": "publishing", "attempts": 1,
                                   "lease_owner": "w"})
        q.update_deliveries(s, [{"did": d, "remote_id": f"r{d}"} for d in both])
        first = q.insert_attempt(s, {"delivery_id": did, "worker": "w", "started_at": T0,
                                     "outcome": "sending"})
        many = q.insert_attempts(s, [
            {"delivery_id": d, "worker": "w", "started_at": T0, "outcome": "sending"}
            for d in both])
        assert set(many) == set(both) and many[did] > first
        q.update_attempts(s, [{"aid": first, "outcome": "retry", "http_status": 503}])
        progress = q.thread_progress_of(s, [did, 10**9])
        assert list(progress) == [did] and tuple(progress[did]) == (did, [], "w")

        q.mark_post_publishing(s, world.ids["post:gone"])  # canceled: stays canceled
        q.mark_posts_publishing(s, {world.ids["post:two"], world.ids["post:three"]})
        s.expire_all()
        statuses = {pid: st for pid, st in s.execute(select(Post.id, Post.status))}
        assert statuses[world.ids["post:gone"]] == "canceled"
        assert statuses[world.ids["post:two"]] == statuses[world.ids["post:three"]] == (
            "publishing")
        assert statuses[world.ids["post:one"]] == "scheduled"
        theirs = s.scalar(select(Post.status).where(Post.org_id == world.other,
                                                    Post.name == "two"))
        assert theirs == "scheduled"
        d = s.get(Delivery, did)
        assert d is not None and (d.status, d.attempts, d.lease_owner, d.remote_id) == (
            "publishing", 1, "w", f"r{did}")
        a = s.get(Attempt, first)
        assert a is not None and (a.outcome, a.http_status) == ("retry", 503)

        budget = ("retry", "error", "unknown", "lookup_failed")
        s.add_all([Attempt(delivery_id=did, worker="w", started_at=T0, outcome=o)
                   for o in ("error", "manual_retry", "unknown", "published")])
        s.flush()
        # "retry" before the manual retry and "error" are forgotten; "unknown" after counts.
        assert q.count_attempts_since_last(s, did, outcomes=budget,
                                           reset_by="manual_retry") == 1
        other = world.ids["delivery:two:x:1"]
        s.add(Attempt(delivery_id=other, worker="w", started_at=T0, outcome="error"))
        s.flush()
        assert q.count_attempts_since_last(s, other, outcomes=budget,
                                           reset_by="manual_retry") == 1  # none to reset


def test_apply_reads_the_newest_live_delivery_and_inserts_rows_in_order(
        world: World) -> None:
    from socialhub.db.models import AuditEvent
    from socialhub.db.queries import manifests as q

    with world.hub.transaction() as s:
        ma, x = world.ids["variant:one:ma_a"], world.ids["variant:one:x"]
        gone = world.ids["variant:gone:x"]
        # one/ma_a has a dead delivery and a newer scheduled one; gone/x only a canceled one.
        assert q.latest_live_statuses(s, [ma, x, gone]) == {ma: "scheduled", x: "scheduled"}
        s.add(Delivery(variant_id=ma, account_id=world.ids["account:ma_a"], due_at=T0,
                       next_attempt_at=T0, status="unconfirmed", idempotency_key="newest"))
        s.flush()
        assert q.latest_live_statuses(s, [ma]) == {ma: "unconfirmed"}
        assert q.latest_live_statuses(s, []) == {}

        names = ["new-b", "new-a", "new-c"]
        post_ids = q.insert_posts(s, [{"org_id": world.org, "name": n, "body": n,
                                       "status": "draft"} for n in names])
        by_id = {pid: name for pid, name in s.execute(select(Post.id, Post.name))}
        assert [by_id[i] for i in post_ids] == names
        variant_ids = q.insert_variants(s, [
            {"post_id": pid, "account_id": world.ids["account:x"], "text": f"t{pid}"}
            for pid in post_ids])
        of_post = {vid: pid for vid, pid in s.execute(select(Variant.id, Variant.post_id))}
        assert [of_post[v] for v in variant_ids] == post_ids
        q.insert_deliveries(s, [{"variant_id": variant_ids[0],
                                 "account_id": world.ids["account:x"], "due_at": T0,
                                 "next_attempt_at": T0, "status": "scheduled",
                                 "idempotency_key": "bulk-1"}])
        q.insert_deliveries(s, [])
        assert q.latest_live_statuses(s, variant_ids) == {variant_ids[0]: "scheduled"}
        before = s.scalar(select(func.count(AuditEvent.id)))
        from socialhub.db.queries.audit import append_audit_rows
        append_audit_rows(s, [{"org_id": world.org, "actor": "me", "action": "create",
                               "record_kind": "Post", "record_id": post_ids[0],
                               "record_name": "new-b", "change": {}}])
        append_audit_rows(s, [])
        assert s.scalar(select(func.count(AuditEvent.id))) == (before or 0) + 1
        assert q.insert_posts(s, []) == []


def test_only_one_transaction_at_a_time_holds_an_accounts_refresh_lock_on_postgresql(
        hub: Hub) -> None:
    from socialhub.db.queries import credentials as q

    with hub.transaction() as s:
        if not delivery_queries.is_postgres(s):
            pytest.skip("SQLite refreshes claim a row lease instead of an advisory lock")
    first, second = hub.sessions(), hub.sessions()
    try:
        assert q.try_lock_refresh(first, 1) is True
        assert q.try_lock_refresh(second, 1) is False
        assert q.try_lock_refresh(second, 2) is True  # another account's is free
        first.rollback()  # the lock ends with the transaction
        assert q.try_lock_refresh(second, 1) is True
    finally:
        for session in (first, second):
            session.rollback()
            session.close()
