"""The calendar as iCalendar: parsed back with `icalendar`, one event per post and target
with a stable UID, a SEQUENCE that grows after an edit, the URL once published, and
`calendar export --ics` writing the same file (nothing half-written on bad input)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.authoring.ical import calendar_ics, event_uid
from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post
from socialhub.services.authoring.scheduling import schedule_post
from socialhub.services.hub import Hub
from tests.conftest import CLIResult
from tests.publishing_kit import connect_account, make_engine, run, schedule, when


def _events(hub: Hub, **window: datetime) -> dict[str, dict[str, Any]]:
    with hub.context("cli") as ctx:
        data = calendar_ics(ctx, **window)
    cal = Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and "socialhub" in str(cal["PRODID"])
    return {str(e["UID"]): {"seq": int(e.decoded("SEQUENCE")), "start": e.decoded("DTSTART"),
                            "summary": str(e["SUMMARY"]), "url": e.get("URL"),
                            "status": str(e["STATUS"]), "description": str(e["DESCRIPTION"])}
            for e in cal.walk("VEVENT")}


def test_one_event_per_post_and_target_updated_in_place(
        hub: Hub, sandbox: SandboxServer) -> None:
    first = connect_account(hub, sandbox.url, "demo")
    second = connect_account(hub, sandbox.url, "other")
    at = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)
    with hub.context("cli") as ctx:
        post = create_post(ctx, name="launch", body="We ship on Monday, with a longer text "
                           "than a calendar title should ever show at once.",
                           targets=[TargetSpec(account="sandbox:@demo"),
                                    TargetSpec(account="sandbox:@other", text="Shipping!")])
        schedule_post(ctx, "launch", at=when(at), now=datetime.now(UTC))
        post_id = post.id
    events = _events(hub)
    assert set(events) == {event_uid(post_id, first), event_uid(post_id, second)}
    one = events[event_uid(post_id, first)]
    assert one["start"] == at and one["start"].tzinfo is not None  # UTC
    assert one["summary"].startswith("We ship on Monday") and one["summary"].endswith(
        "… (sandbox)")
    assert len(one["summary"]) < 80 and one["status"] == "CONFIRMED" and one["url"] is None
    assert events[event_uid(post_id, second)]["summary"] == "Shipping! (sandbox)"
    time.sleep(1.1)  # SEQUENCE counts whole seconds since the post was made
    with hub.context("cli") as ctx:
        edit_post(ctx, "launch", texts={"sandbox:@other": "Shipping on Monday!"})
        schedule_post(ctx, "launch", at=when(at + timedelta(hours=1)), now=datetime.now(UTC))
    again = _events(hub)
    assert set(again) == set(events)  # the same UIDs: updated in place, not duplicated
    moved = again[event_uid(post_id, second)]
    assert moved["summary"] == "Shipping on Monday! (sandbox)"
    assert moved["start"] == at + timedelta(hours=1)
    assert moved["seq"] > events[event_uid(post_id, second)]["seq"]
    assert again[event_uid(post_id, first)]["seq"] > one["seq"]
    # The window: nothing before `since`, nothing from `until` on.
    assert _events(hub, since=at + timedelta(days=1)) == {}
    assert _events(hub, since=at - timedelta(days=1), until=at) == {}


def test_a_published_post_carries_its_url(hub: Hub, sandbox: SandboxServer,
                                          account: int) -> None:
    due = datetime.now(UTC) - timedelta(seconds=1)
    delivery = schedule(hub, "now", due)
    before = _events(hub)
    assert run(make_engine(hub), hub, [delivery])
    [(uid, event)] = _events(hub).items()
    assert uid in before and str(event["url"]).startswith(sandbox.url)
    assert "status: published" in str(event["description"])
    assert event["seq"] >= before[uid]["seq"]


def test_calendar_export_writes_the_ics_file(
        dbcli: Callable[..., CLIResult], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", "2031-03-01T12:00:00+00:00")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    for name, day in (("early", "2031-03-02"), ("late", "2031-04-20")):
        assert dbcli("posts", "create", "-b", f"post {name}", "-t",
                     "bluesky:@shop.example.com", "--at", f"{day} 09:00",
                     "--name", name).exit_code == 0
    target = tmp_path / "plan.ics"
    done = dbcli("calendar", "export", "--ics", str(target), "--from", "today",
                 "--to", "+30d")
    assert done.exit_code == 0, done.stderr
    assert "wrote 1 event(s)" in done.stderr
    [event] = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "post early (bluesky)"
    assert event.decoded("DTSTART") == datetime(2031, 3, 2, 9, 0, tzinfo=UTC)
    everything = dbcli("calendar", "export", "--ics", "-")
    assert everything.exit_code == 0
    assert everything.stdout.count("BEGIN:VEVENT") == 2
    bad = dbcli("calendar", "export", "--ics", str(tmp_path / "bad.ics"), "--from", "someday")
    assert bad.exit_code != 0 and "--from:" in bad.stderr
    backwards = dbcli("calendar", "export", "--ics", str(tmp_path / "bad.ics"),
                      "--from", "2031-03-10", "--to", "2031-03-01")
    assert backwards.exit_code != 0 and "--to must be after --from" in backwards.stderr
    missing = dbcli("calendar", "export", "--ics", str(tmp_path / "no" / "x.ics"))
    assert missing.exit_code != 0 and "does not exist" in missing.stderr
    assert not list(tmp_path.glob("*bad.ics*")) and not (tmp_path / "no").exists()
