"""A new user's first hour: times that work on any date, accounts not connected yet, and
a connect that fails before it creates anything (issue "First hour")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.core.when import parse_when
from socialhub.core.when_relative import describe_from_now, parse_day
from socialhub.errors import ValidationError
from tests.conftest import CLIResult

Run = Callable[..., CLIResult]
SATURDAY = "2026-12-05T13:00:00+00:00"


@pytest.fixture
def run(dbcli: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", SATURDAY)
    monkeypatch.setenv("SOCIALHUB_TIMEZONE", "Europe/Berlin")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("accounts", "add", "mastodon:@shop@social.example",
                 "--base-url", "https://social.example").exit_code == 0
    return dbcli


def _posts(run: Run) -> list[dict[str, Any]]:
    result = run("posts", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return list(result.json())


# -- 1. times relative to now ------------------------------------------------------------


@pytest.mark.parametrize(("fake_now", "expected"), [
    ("2026-12-05T13:00:00+00:00", "2026-12-06T09:00 Europe/Berlin"),
    ("2031-07-14T23:30:00+00:00", "2031-07-16T09:00 Europe/Berlin"),  # already the 15th there
])
def test_tomorrow_at_nine_is_scheduled_whatever_the_date(dbcli: Run,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         fake_now: str, expected: str) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", fake_now)
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    r = dbcli("posts", "create", "-b", "hi", "-t", "bluesky:@shop.example.com",
              "--at", "tomorrow 09:00 Europe/Berlin", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["targets"][0]["at"] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("tomorrow 09:00", "2026-12-06T09:00 Europe/Berlin"),
    ("next monday 9am", "2026-12-07T09:00 Europe/Berlin"),
    ("sat 17:30", "2026-12-12T17:30 Europe/Berlin"),  # a weekday is never today
    ("today 18:00 UTC", "2026-12-05T18:00 UTC"),
    ("+2h", "2026-12-05T16:00 Europe/Berlin"),
    ("in 3 days at 8:15pm", "2026-12-08T20:15 Europe/Berlin"),
    ("+1w 09:00 America/New_York", "2026-12-12T09:00 America/New_York"),
])
def test_relative_times_read_as_a_person_means_them(text: str, expected: str) -> None:
    now = datetime.fromisoformat(SATURDAY)
    assert str(parse_when(text, "Europe/Berlin", now=now)) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("tomorrow", "say at what time"),
    ("+2h 09:00", "goes with days or weeks"),
    ("in 3 fortnights", "unknown unit"),
    ("tomorrow 25:00", "is not a time of day"),
    ("blursday 09:00", "or a relative time such as"),
])
def test_bad_relative_times_are_refused_with_what_is_wrong(run: Run, text: str,
                                                           message: str) -> None:
    r = run("posts", "create", "-b", "hi", "-t", "bluesky:@shop.example.com", "--at", text)
    assert r.exit_code == 4
    assert r.stderr.startswith(f"error: cannot read time {text!r}") and message in r.stderr
    assert _posts(run) == []


def test_manifests_keep_absolute_dates() -> None:
    with pytest.raises(ValidationError, match="expected 'YYYY-MM-DD HH:MM"):
        parse_when("tomorrow 09:00", "UTC")  # no `now`: a manifest means the same every apply


def test_relative_spring_forward_time_is_refused_not_guessed() -> None:
    now = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    with pytest.raises(ValidationError, match="does not exist"):
        parse_when("tomorrow 02:30 Europe/Berlin", "UTC", now=now)


@settings(max_examples=60, deadline=None)
@given(now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                        timezones=st.just(UTC)),
       hours=st.integers(min_value=1, max_value=500))
def test_plus_hours_is_real_time_from_now_in_any_zone(now: datetime, hours: int) -> None:
    when = parse_when(f"+{hours}h", "Europe/Berlin", now=now)
    assert (when.utc - now.replace(second=0, microsecond=0)).total_seconds() == hours * 3600


def test_calendar_from_takes_days_people_say() -> None:
    today = datetime.fromisoformat(SATURDAY).date()
    assert str(parse_day("next monday", today)) == "2026-12-07"
    assert str(parse_day("+7d", today)) == "2026-12-12"
    assert str(parse_day("2027-01-04", today)) == "2027-01-04"


def test_help_examples_use_no_fixed_date_that_will_pass(cli: Run) -> None:
    for args in (("posts", "create"), ("posts", "schedule")):
        text = cli(*args, "--help").stdout
        assert "Example:" in text
        assert "2026-" not in text, args


# -- 3. --next-slot says when ------------------------------------------------------------


def test_next_slot_says_when_in_local_time_zone_and_how_far(run: Run) -> None:
    assert run("slots", "add", "bluesky:@shop.example.com", "-d", "mon", "--time", "09:00",
               "--zone", "Europe/Berlin").exit_code == 0
    r = run("posts", "create", "-b", "Behind the scenes", "-t", "bluesky:@shop.example.com",
            "--next-slot")
    assert r.exit_code == 0, r.stderr
    assert "created post post-1 (scheduled)" in r.stderr
    assert "bluesky:@shop.example.com at Mon 7 Dec 2026 09:00 Europe/Berlin (in 2 days)" \
        in r.stderr


def test_describe_from_now_counts_calendar_days_in_the_zone() -> None:
    now = datetime.fromisoformat(SATURDAY)
    assert describe_from_now(datetime(2026, 12, 5, 13, 40, tzinfo=UTC), now, "UTC") == \
        "in 40 minutes"
    assert describe_from_now(datetime(2026, 12, 6, 8, tzinfo=UTC), now, "Europe/Berlin") == \
        "tomorrow"
    assert describe_from_now(datetime(2026, 12, 8, 12, tzinfo=UTC), now, "UTC") == "in 3 days"


# -- 2. accounts that cannot publish -----------------------------------------------------


def test_scheduling_to_an_unconnected_account_warns_with_the_command_and_still_creates(
        run: Run) -> None:
    r = run("posts", "create", "--name", "launch", "-b", "We ship", "-t",
            "bluesky:@shop.example.com", "-t", "mastodon:@shop@social.example",
            "--at", "tomorrow 09:00")
    assert r.exit_code == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: bluesky:@shop.example.com is not connected, so the post waits for it; "
        "connect it: `socialhub accounts connect bluesky --handle shop.example.com`",
        "warning: mastodon:@shop@social.example is not connected, so the post waits for it; "
        "connect it: `socialhub accounts connect mastodon --base-url https://social.example`",
    ]
    assert [p["status"] for p in _posts(run)] == ["scheduled"]
    again = run("posts", "schedule", "launch", "--at", "next mon 10:00", "--json")
    assert again.exit_code == 0
    assert again.stderr.count("warning: ") == 2 and again.json()["name"] == "launch"


def test_apply_warns_about_accounts_that_cannot_publish_with_the_waiting_count(
        run: Run, tmp_path: Path) -> None:
    manifest = tmp_path / "posts.yaml"
    docs = []
    for name in ("one", "two"):
        docs.append(f"""apiVersion: socialhub/v1
kind: Post
metadata: {{name: {name}}}
spec:
  body: "We ship"
  targets:
    - account: bluesky:@shop.example.com
      at: 2027-01-11T09:00:00 Europe/Berlin
""")
    manifest.write_text("---\n".join(docs))
    r = run("apply", "-f", str(manifest))
    assert r.exit_code == 0, r.stderr
    assert [line for line in r.stderr.splitlines() if line.startswith("warning: ")] == [
        "warning: bluesky:@shop.example.com is not connected, so 2 deliveries wait for it; "
        "connect it: `socialhub accounts connect bluesky --handle shop.example.com`"]
    assert len(_posts(run)) == 2
    dry = run("apply", "-f", str(manifest), "--dry-run")
    assert dry.exit_code == 0 and "2 deliveries wait" in dry.stderr


def test_queue_list_says_a_never_connected_account_is_not_connected(run: Run) -> None:
    assert run("posts", "create", "-b", "hi", "-t", "bluesky:@shop.example.com",
               "--at", "tomorrow 09:00").exit_code == 0
    rows = run("queue", "list", "--json").json()
    assert [r["waiting_for"] for r in rows] == [
        "account bluesky:@shop.example.com is not connected"]
    retried = run("queue", "retry", str(rows[0]["id"]))
    hint = " ".join(retried.stderr.split())  # Rich wraps long lines
    assert "account bluesky:@shop.example.com is not connected; connect it: " \
        "`socialhub accounts connect bluesky --handle shop.example.com`" in hint


def test_an_oauth_account_warning_points_at_the_developer_app_page(run: Run) -> None:
    assert run("accounts", "add", "x:@shop").exit_code == 0
    r = run("posts", "create", "-b", "hi", "-t", "x:@shop", "--at", "+2h")
    assert r.exit_code == 0
    assert "needs a x developer app, see docs/platforms/x.md" in r.stderr


def test_doctor_names_accounts_that_cannot_publish_with_waiting_deliveries(run: Run) -> None:
    for n in range(3):
        assert run("posts", "create", "-b", f"post {n}", "-t", "bluesky:@shop.example.com",
                   "--at", f"in {n + 1} days").exit_code == 0
    r = run("doctor", "--json")
    assert r.exit_code == 0
    accounts = next(c for c in r.json() if c["check"] == "accounts")
    assert accounts["status"] == "warn"
    assert {a["ref"]: (a["problem"], a["waiting"]) for a in accounts["accounts"]} == {
        "bluesky:@shop.example.com": ("not connected", 3),
        "mastodon:@shop@social.example": ("not connected", 0),
    }
    assert "bluesky:@shop.example.com is not connected, 3 deliveries waiting (connect it: " \
           "`socialhub accounts connect bluesky --handle shop.example.com`)" in accounts["detail"]


def test_publish_now_to_an_unconnected_account_exits_9_saying_why(run: Run) -> None:
    assert run("posts", "create", "--name", "launch", "-b", "We ship", "-t",
               "bluesky:@shop.example.com").exit_code == 0
    r = run("posts", "publish-now", "launch", "--timeout", "20")
    assert r.exit_code == 9, r.stderr
    assert re.search(r"bluesky:@shop\.example\.com\s+retry_scheduled", r.stdout), r.stdout
    error = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert error == ["error: launch was not published to 1 of 1 target: "
                     "bluesky:@shop.example.com is not connected (connect it: "
                     "`socialhub accounts connect bluesky --handle shop.example.com`)"]


# -- 5. connect checks what it can before creating anything --------------------------------


@pytest.mark.usefixtures("no_env_key")
def test_connect_x_without_a_client_id_creates_no_key_and_no_record(home: Path) -> None:
    from tests.conftest import run_cli

    r = run_cli("accounts", "connect", "x", "--no-browser")
    assert r.exit_code == 3
    assert "platforms.x.client_id" in r.stderr and "SOCIALHUB_PLATFORMS_X_CLIENT_ID" in r.stderr
    assert "docs/platforms/x.md" in r.stderr and "developer app" in r.stderr
    assert not (home / "data" / "master.key").exists()
    listed = run_cli("accounts", "list", "--json")
    assert listed.exit_code == 0 and listed.json() == []


@pytest.mark.usefixtures("no_env_key")
def test_first_doctor_creates_the_master_key_as_the_readme_says(home: Path) -> None:
    from tests.conftest import run_cli

    first = run_cli("doctor", "--json")
    assert first.exit_code == 0, first.stderr
    key = next(c for c in first.json() if c["check"] == "master key")
    assert key["status"] == "ok" and key["detail"].startswith("created on this first run")
    assert (home / "data" / "master.key").exists()
    second = next(c for c in run_cli("doctor", "--json").json() if c["check"] == "master key")
    assert second["status"] == "ok" and "created" not in second["detail"]


@pytest.mark.usefixtures("no_env_key")
def test_connect_with_the_redirect_port_taken_creates_no_key(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from tests.conftest import run_cli

    monkeypatch.setenv("SOCIALHUB_PLATFORMS_X_CLIENT_ID", "an-id")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_cli("accounts", "connect", "x", "--port", str(port))
    assert r.exit_code == 3
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr
    assert not (home / "data" / "master.key").exists()
