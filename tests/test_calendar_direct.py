"""The calendar read through the database driver alone (the TUI's quick first paint)
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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from socialhub.config import load_config
from socialhub.core.calendar_view import View
from socialhub.core.when import localize
from socialhub.db.models import Delivery, Post, Variant
from socialhub.services.accounts import add_account
from socialhub.services.calendar_direct import (
    DirectDatabase,
    direct_database,
    read_calendar_direct,
)
from socialhub.services.hub import Hub
from socialhub.services.orgs import add_organization
from socialhub.services.posts import TargetSpec, create_post
from socialhub.services.scheduling import cancel_post, schedule_post
from socialhub.services.slots import add_slot
from socialhub.services.tui_views import calendar_data

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
def seeded(db_home: str) -> Iterator[Seeded]:
    hub = Hub(load_config())
    seed(hub)
    database = direct_database(db_home)
    assert database is not None
    yield Seeded(hub, database)
    hub.dispose()


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
