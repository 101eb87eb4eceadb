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
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialhub.config import load_config
from socialhub.core.calendar_view import View
from socialhub.core.when import localize
from socialhub.db.models import Account, Attempt, Delivery, Post, Variant
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
def seeded(hub: Hub, db_home: str) -> Seeded:
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
            quick = read_calendar_direct(seeded.database, "default", view, anchor, zone)
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
    quick = read_calendar_direct(seeded.database, "default", "month", at.date(), "UTC")
    assert quick is not None
    [entry] = [e for e in quick.days[at.date()] if e["post"] == retried]
    assert entry["status"] == "published"  # not the dead first delivery


def test_a_slot_a_dst_gap_swallows_and_a_taken_slot_are_not_offered(seeded: Seeded) -> None:
    quick = read_calendar_direct(seeded.database, "default", "week", date(2027, 3, 27),
                                 "Europe/Berlin")
    assert quick is not None
    gap_day = [e for e in quick.days.get(date(2027, 3, 28), []) if e["kind"] == "slot"]
    assert gap_day == []  # 02:30 does not exist in Berlin that Sunday
    november = read_calendar_direct(seeded.database, "default", "month", date(2026, 11, 3),
                                    "Europe/Berlin")
    assert november is not None
    tuesday = november.days[date(2026, 11, 3)]
    assert [(e["kind"], e["time"]) for e in tuesday if e["account"] == MA] == [("post", "10:00")]
    assert ("slot", "10:00") in [(e["kind"], e["time"])
                                 for e in november.days[date(2026, 11, 10)]]


def test_it_declines_what_only_the_full_service_can_answer(seeded: Seeded) -> None:
    anchor = date(2026, 11, 3)
    assert read_calendar_direct(seeded.database, "nobody", "month", anchor, "UTC") is None
    with seeded.hub.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert read_calendar_direct(seeded.database, "default", "month", anchor, "UTC") is None


def test_a_sqlite_file_that_does_not_exist_is_left_to_the_service_to_create(
        tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.sqlite"
    assert read_calendar_direct(DirectDatabase(sqlite_file=missing), "default", "month",
                                date(2026, 11, 3), "UTC") is None
    assert not missing.exists()  # a read never creates the database


def test_a_postgresql_server_that_does_not_answer_is_left_to_the_service(
        tmp_path: Path) -> None:
    nowhere = direct_database("postgresql+psycopg://me:secret@127.0.0.1:9/socialhub")
    assert nowhere is not None
    assert read_calendar_direct(nowhere, "default", "month", date(2026, 11, 3), "UTC") is None


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
        expected = _expected_due(s, FAR)
        assert len(expected) > 20
        got = delivery_queries.due_candidates(s, FAR, limit=1000)
        assert [d.id for d, _ in got] == expected
        assert delivery_queries.count_due(s, FAR) == len(expected)
        assert [d.id for d, _ in delivery_queries.due_candidates(s, FAR, limit=5)] == expected[:5]
        no_x = delivery_queries.due_candidates(s, FAR, limit=1000, skip_platforms=["x"])
        assert no_x and all(platform != "x" for _, platform in no_x)
        first_account = got[0][0].account_id
        others = delivery_queries.due_candidates(s, FAR, limit=1000,
                                                 skip_accounts=[first_account])
        assert others and all(d.account_id != first_account for d, _ in others)
        assert delivery_queries.due_candidates(s, NOW - timedelta(days=1), limit=10) == []
        # Nothing is due before the first scheduled time; that time is the next due one.
        first_due = min(d.next_attempt_at for d, _ in got if d.status == "scheduled")
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
        held = [d.id for d, _ in delivery_queries.due_candidates(first, FAR, limit=3)]
        rest = [d.id for d, _ in delivery_queries.due_candidates(second, FAR, limit=1000)]
        assert len(held) == 3 and not set(held) & set(rest)
        with seeded.hub.transaction() as s:
            assert rest == _expected_due(s, FAR)[3:]
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()


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
