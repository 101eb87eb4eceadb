"""Posts, accounts, slots and the calendar through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIResult

Run = Callable[..., CLIResult]
NOW = "2026-11-22T12:00:00+00:00"  # a Sunday


@pytest.fixture
def run(dbcli: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW)
    monkeypatch.setenv("SOCIALHUB_TIMEZONE", "Europe/Berlin")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("accounts", "add", "mastodon:@me@social.example").exit_code == 0
    return dbcli


def posts(run: Run) -> list[dict[str, Any]]:
    result = run("posts", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_created_post_with_a_time_is_scheduled_in_that_zone(run: Run) -> None:
    r = run("posts", "create", "-b", "We ship on Monday", "-t", "bluesky:@shop.example.com",
            "-t", "mastodon:@me@social.example", "--at", "2026-12-01 09:00", "--name", "launch",
            "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["status"] == "scheduled"
    assert [t["at"] for t in data["targets"]] == ["2026-12-01T09:00 Europe/Berlin"] * 2
    assert all(t["scheduled_at"].startswith("2026-12-01T08:00") for t in data["targets"])
    assert all(t["delivery"]["status"] == "scheduled" for t in data["targets"])


def test_over_length_text_is_refused_with_length_and_limit_and_nothing_is_stored(run: Run
                                                                                 ) -> None:
    r = run("posts", "create", "-b", "word " * 70, "-t", "bluesky:@shop.example.com")
    assert r.exit_code == 4
    assert "over the 300 limit" in r.stderr and "350 graphemes" in r.stderr
    assert r.stdout == ""
    assert posts(run) == []


def test_split_turns_over_length_text_into_a_valid_thread(run: Run) -> None:
    r = run("posts", "create", "-b", "word " * 70, "-t", "bluesky:@shop.example.com",
            "--split", "--json")
    assert r.exit_code == 0, r.stderr
    thread = r.json()["targets"][0]["thread"]
    assert len(thread) == 2
    assert " ".join(" ".join(thread).split()) == " ".join(("word " * 70).split())


@pytest.mark.parametrize(("at", "message"), [
    ("2026-11-01 09:00", "in the past"),
    ("2026-12-01 09:00 Mars/Olympus", "unknown time zone"),
    ("2027-03-28 02:30 Europe/Berlin", "does not exist"),
    ("next tuesday", "cannot read time"),
])
def test_bad_times_are_refused_and_leave_no_post(run: Run, at: str, message: str) -> None:
    r = run("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com", "--at", at)
    assert r.exit_code == 4
    assert message in r.stderr
    assert r.stderr.count("\n") == 1
    assert posts(run) == []


def test_unknown_account_is_named_and_exit_code_is_not_found(run: Run) -> None:
    r = run("posts", "create", "-b", "hello", "-t", "bluesky:@nobody.example.com")
    assert r.exit_code == 5
    assert "bluesky:@nobody.example.com" in r.stderr


def test_next_slot_fills_free_slots_in_order(run: Run) -> None:
    assert run("slots", "add", "bluesky:@shop.example.com", "-d", "mon", "-d", "wed",
               "--time", "09:00").exit_code == 0
    first = run("posts", "create", "-b", "one", "-t", "bluesky:@shop.example.com",
                "--next-slot", "--json").json()
    second = run("posts", "create", "-b", "two", "-t", "bluesky:@shop.example.com",
                 "--next-slot", "--json").json()
    assert first["targets"][0]["at"] == "2026-11-23T09:00 Europe/Berlin"  # Monday
    assert second["targets"][0]["at"] == "2026-11-25T09:00 Europe/Berlin"  # Wednesday


def test_next_slot_without_slots_says_how_to_add_one(run: Run) -> None:
    r = run("posts", "create", "-b", "one", "-t", "bluesky:@shop.example.com", "--next-slot")
    assert r.exit_code == 4
    assert "socialhub slots add" in r.stderr


def test_unschedule_and_cancel_stop_deliveries(run: Run) -> None:
    run("posts", "create", "-b", "a", "-t", "bluesky:@shop.example.com", "--at",
        "2026-12-01 09:00", "--name", "a")
    assert run("posts", "unschedule", "a").exit_code == 0
    shown = run("posts", "show", "a", "--json").json()
    assert shown["status"] == "draft"
    assert shown["targets"][0]["delivery"]["status"] == "canceled"
    assert run("posts", "schedule", "a", "--at", "2026-12-02 10:00").exit_code == 0
    assert run("posts", "show", "a", "--json").json()["targets"][0]["delivery"]["status"] == \
        "scheduled"
    assert run("posts", "cancel", "a").exit_code == 0
    shown = run("posts", "show", "a", "--json").json()
    assert shown["status"] == "canceled"
    assert shown["targets"][0]["delivery"]["status"] == "canceled"


def test_rescheduling_moves_the_one_delivery_instead_of_adding_another(run: Run) -> None:
    run("posts", "create", "-b", "a", "-t", "bluesky:@shop.example.com", "--at",
        "2026-12-01 09:00", "--name", "a")
    before = run("posts", "show", "a", "--json").json()["targets"][0]["delivery"]["id"]
    run("posts", "schedule", "a", "--at", "2026-12-03 18:30")
    after = run("posts", "show", "a", "--json").json()["targets"][0]
    assert after["delivery"]["id"] == before
    assert after["at"] == "2026-12-03T18:30 Europe/Berlin"
    queue = run("calendar", "--from", "2026-11-30", "--view", "week", "--json").json()
    assert [e["time"] for e in queue["entries"] if e["kind"] == "post"] == ["18:30"]


def test_edit_changes_body_of_variants_without_own_text(run: Run) -> None:
    run("posts", "create", "-b", "old", "-t", "bluesky:@shop.example.com", "-t",
        "mastodon:@me@social.example", "--text", "mastodon:@me@social.example=own words",
        "--name", "e")
    r = run("posts", "edit", "e", "-b", "new body", "--json")
    assert r.exit_code == 0, r.stderr
    texts = {t["account"]: t["text"] for t in r.json()["targets"]}
    assert texts == {"bluesky:@shop.example.com": "new body",
                     "mastodon:@me@social.example": "own words"}


def test_calendar_json_lists_posts_and_free_slots_in_local_time(run: Run) -> None:
    run("slots", "add", "mastodon:@me@social.example", "-d", "tue", "--time", "12:00")
    run("posts", "create", "-b", "a", "-t", "bluesky:@shop.example.com", "--at",
        "2026-12-01 09:00", "--name", "a")
    cal = run("calendar", "--view", "week", "--from", "2026-12-01", "--json").json()
    kinds = [(e["kind"], e["date"], e["time"], e["account"]) for e in cal["entries"]]
    assert kinds == [("post", "2026-12-01", "09:00", "bluesky:@shop.example.com"),
                     ("slot", "2026-12-01", "12:00", "mastodon:@me@social.example")]
    human = run("calendar", "--view", "month", "--from", "2026-12-01")
    assert human.exit_code == 0 and "December 2026" in human.stdout


def test_import_csv_schedules_rows_and_a_bad_row_writes_nothing(run: Run, tmp_path: Path
                                                                ) -> None:
    run("slots", "add", "bluesky:@shop.example.com", "-d", "mon", "--time", "09:00")
    good = tmp_path / "good.csv"
    good.write_text("body,accounts,at\nfirst,bluesky:@shop.example.com,2026-12-01 10:00\n"
                    "second,bluesky:@shop.example.com mastodon:@me@social.example,"
                    "2026-12-02 10:00\nthird,bluesky:@shop.example.com,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("body,accounts,at\nfine,bluesky:@shop.example.com,2026-12-01 11:00\n"
                   "broken,bluesky:@shop.example.com,2026-12-01 25:00\n")
    r = run("import", "csv", str(bad))
    assert r.exit_code == 4
    assert f"{bad}:3:" in r.stderr
    assert posts(run) == []
    r = run("import", "csv", str(good), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["created"] == 3 and r.json()["in_slots"] == 1
    assert [p["body"] for p in posts(run)] == ["third", "first", "second"]  # slot Mon 23rd first
    french = tmp_path / "fr.csv"
    french.write_text("body,accounts,at\nNotre collection de printemps arrive enfin en boutique,"
                      "bluesky:@shop.example.com,2026-12-03 10:00\n")
    made = run("import", "csv", str(french), "--json").json()["posts"][0]
    shown = run("posts", "show", made, "--json").json()
    assert [t["language"] for t in shown["targets"]] == ["fr"]  # detected from the body


def test_accounts_list_show_remove(run: Run) -> None:
    rows = run("accounts", "list", "--json").json()
    assert [r["ref"] for r in rows] == ["bluesky:@shop.example.com", "mastodon:@me@social.example"]
    assert run("accounts", "add", "bluesky:@shop.example.com").exit_code == 6
    assert run("accounts", "add", "myspace:@tom").exit_code == 4
    shown = run("accounts", "show", "bluesky:@shop.example.com", "--json").json()
    assert shown["status"] == "active"
    assert shown["token_status"] is None and shown["has_refresh_token"] is False  # not connected
    assert {"threads", "media", "alt_text"} <= set(shown["can"])
    run("posts", "create", "-b", "a", "-t", "bluesky:@shop.example.com", "--at",
        "2026-12-01 09:00")
    refused = run("accounts", "remove", "bluesky:@shop.example.com")
    assert refused.exit_code == 6 and "--force" in refused.stderr
    assert run("accounts", "remove", "bluesky:@shop.example.com", "--force").exit_code == 0
    assert len(run("accounts", "list", "--json").json()) == 1


def test_campaigns_group_posts(run: Run) -> None:
    assert run("campaigns", "add", "spring", "--starts", "2026-03-01", "--ends",
               "2026-04-30", "--budget", "900.50", "--currency", "eur").exit_code == 0
    assert run("campaigns", "add", "bad", "--starts", "2026-05-01", "--ends",
               "2026-04-01").exit_code == 4
    run("posts", "create", "-b", "a", "-t", "bluesky:@shop.example.com", "--campaign", "spring")
    shown = run("campaigns", "show", "spring", "--json").json()
    assert shown["budget"] == "900.50" and shown["currency"] == "EUR"
    assert shown["posts"] == {"draft": 1}
    assert [p["campaign"] for p in posts(run)] == ["spring"]
