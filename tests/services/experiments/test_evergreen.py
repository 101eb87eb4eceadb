"""The evergreen queue: a post goes back into its account's slots after a cooldown,
skips a slot another post uses that week, and stops at its count or date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialhub.db.models import Delivery, Variant
from socialhub.errors import ConflictError, PermissionDeniedError, ValidationError
from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.evergreen import (
    add_evergreen,
    list_evergreen,
    remove_evergreen,
    requeue_evergreen,
)
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.slots import add_slot
from tests.conftest import ctx_as, run_cli

#: A Wednesday; the account's slots are Mondays and Thursdays at 09:00 UTC.
T0 = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)
MON, THU = datetime(2030, 1, 7, 9, 0, tzinfo=UTC), datetime(2030, 1, 3, 9, 0, tzinfo=UTC)


def at(ctx: Any, when: datetime) -> Any:
    """``ctx`` with its clock stopped at ``when``."""
    return replace(ctx, clock=lambda: when)


@pytest.fixture
def shop(ctx: Any) -> Any:
    add_account(ctx, platform="sandbox", handle="shop")
    for day in ("mon", "thu"):
        add_slot(ctx, "sandbox:@shop", weekday=day, time="09:00", zone="UTC")
    create_post(ctx, name="faq", body="Questions? Read the FAQ.",
                targets=[TargetSpec(account="sandbox:@shop")])
    return ctx


def _due(ctx: Any, post: str = "faq") -> list[datetime]:
    return list(ctx.session.scalars(
        select(Delivery.due_at).join(Variant, Variant.id == Delivery.variant_id)
        .join(Variant.post).where(Variant.post.has(name=post)).order_by(Delivery.due_at)))


def _publish_all(ctx: Any) -> None:
    """Arrange: every queued delivery went out at its time (the engine's part)."""
    for d in ctx.session.scalars(select(Delivery).where(Delivery.status == "scheduled")):
        d.status, d.published_at = "published", d.due_at
    ctx.session.flush()


def test_a_post_goes_back_into_the_next_free_slot_after_its_cooldown(shop: Any) -> None:
    add_evergreen(at(shop, T0), "faq", cooldown_days=7)
    first = requeue_evergreen(at(shop, T0))
    assert first == [{"post": "faq", "outcome": "queued", "at": {"sandbox:@shop": THU},
                      "occurrence": 1}]
    # Queued and cooling down: nothing more until a week after that slot.
    assert requeue_evergreen(at(shop, T0 + timedelta(days=1))) == [
        {"post": "faq", "outcome": "waiting"}]
    _publish_all(shop)
    assert requeue_evergreen(at(shop, THU + timedelta(days=6)))[0]["outcome"] == "waiting"
    # Run on the Friday after the cooldown ended: the next free slot is Monday's.
    again = requeue_evergreen(at(shop, THU + timedelta(days=8)))
    assert again[0]["at"] == {"sandbox:@shop": MON + timedelta(days=7)}
    assert _due(shop) == [THU, MON + timedelta(days=7)]


def test_a_slot_exactly_at_the_end_of_the_cooldown_is_taken(shop: Any) -> None:
    add_evergreen(at(shop, T0), "faq", cooldown_days=7)
    requeue_evergreen(at(shop, T0))
    _publish_all(shop)
    again = requeue_evergreen(at(shop, THU + timedelta(days=7) - timedelta(hours=1)))
    assert again == [{"post": "faq", "outcome": "waiting"}]
    # An hour early the cooldown runs; the daemon's next look finds the slot due now.
    again = requeue_evergreen(at(shop, THU + timedelta(days=7)))
    assert again[0]["at"] == {"sandbox:@shop": THU + timedelta(days=7)}


def test_a_slot_another_post_uses_that_week_is_skipped(shop: Any) -> None:
    create_post(shop, name="launch", body="We launch today.",
                targets=[TargetSpec(account="sandbox:@shop")])
    from socialhub.services.authoring.scheduling import schedule_post
    from tests.publishing_kit import when

    schedule_post(shop, "launch", at=when(THU), now=T0)
    add_evergreen(at(shop, T0), "faq", cooldown_days=3)
    rows = requeue_evergreen(at(shop, T0))
    assert rows[0]["at"] == {"sandbox:@shop": MON}  # Thursday's slot is the launch's


def test_an_entry_ends_after_its_count(shop: Any) -> None:
    add_evergreen(at(shop, T0), "faq", cooldown_days=1, times=1)
    assert requeue_evergreen(at(shop, T0))[0]["outcome"] == "queued"
    _publish_all(shop)
    assert requeue_evergreen(at(shop, T0 + timedelta(days=30))) == []
    (entry,) = list_evergreen(at(shop, T0 + timedelta(days=30)))
    assert (entry["state"], entry["occurrences"], entry["max_occurrences"]) == ("ended", 1, 1)
    assert _due(shop) == [THU]


def test_an_entry_ends_when_its_next_slot_is_after_its_end_date(shop: Any) -> None:
    add_evergreen(at(shop, T0), "faq", cooldown_days=7, until=THU + timedelta(days=2))
    assert requeue_evergreen(at(shop, T0))[0]["outcome"] == "queued"
    _publish_all(shop)
    ended = requeue_evergreen(at(shop, THU + timedelta(days=7)))
    assert ended == [{"post": "faq", "outcome": "ended", "reason": "end date"}]
    assert list_evergreen(at(shop, THU + timedelta(days=8)))[0]["state"] == "ended"
    assert requeue_evergreen(at(shop, THU + timedelta(days=60))) == []
    assert _due(shop) == [THU]


def test_an_account_without_slots_is_said_and_nothing_is_queued(ctx: Any) -> None:
    add_account(ctx, platform="sandbox", handle="bare")
    create_post(ctx, name="tip", body="A tip.", targets=[TargetSpec(account="sandbox:@bare")])
    add_evergreen(at(ctx, T0), "tip")
    (row,) = requeue_evergreen(at(ctx, T0))
    assert row["outcome"] == "no_slot" and "sandbox:@bare has no free slot" in row["reason"]
    assert _due(ctx, "tip") == []


def test_bad_settings_and_roles_are_refused(shop: Any) -> None:
    with pytest.raises(ValidationError, match="already past"):
        add_evergreen(at(shop, T0), "faq", until=T0 - timedelta(days=1))
    with pytest.raises(PermissionDeniedError):
        add_evergreen(ctx_as(at(shop, T0), "viewer"), "faq")
    add_evergreen(at(shop, T0), "faq", cooldown_days=2)
    remove_evergreen(at(shop, T0), "faq")
    assert list_evergreen(at(shop, T0)) == []
    from socialhub.services.authoring.scheduling import cancel_post

    cancel_post(shop, "faq")
    with pytest.raises(ConflictError, match="canceled"):
        add_evergreen(at(shop, T0), "faq")


def test_the_cli_adds_lists_and_runs_the_queue(dbcli: Any) -> None:
    assert dbcli("accounts", "add", "sandbox:@shop").exit_code == 0
    assert dbcli("slots", "add", "sandbox:@shop", "--day", "mon", "--time", "09:00",
                 "--zone", "UTC").exit_code == 0
    assert dbcli("posts", "create", "--name", "faq", "-t", "sandbox:@shop",
                 "-b", "Read the FAQ.").exit_code == 0
    added = dbcli("evergreen", "add", "faq", "--cooldown", "14", "--times", "3",
                  "--until", "2099-06-30", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.json()["cooldown_days"] == 14
    assert added.json()["ends_at"] == "2099-07-01T00:00:00+00:00"  # through the whole day
    ran = dbcli("evergreen", "run", "--json")
    assert [r["outcome"] for r in ran.json()] == ["queued"]
    shown = dbcli("evergreen", "list")
    assert "faq: every 14 day(s), 1/3 times" in shown.stdout
    missing = run_cli("evergreen", "remove", "nope")
    assert missing.exit_code == 5
