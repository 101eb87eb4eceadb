"""List tables on an 80-column terminal: ids, names, handles, times and statuses are
shown whole, no line is wider than the terminal, and what was left out is named.

Rendering tests, so one database (the embedded SQLite) is enough: the records are
made through the real CLI (the inbox items straight into the database, as a sync
stores them), then each list is printed with ``COLUMNS=80``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len

from tests.conftest import CLIResult
from tests.inbox_kit import arrive
from tests.publishing_kit import make_hub

CLI = Callable[..., CLIResult]
#: A long but ordinary fediverse account and sender, a long post and campaign name.
ACCOUNT = "mastodon:@community.team@social.example.org"
AUTHOR = "someone.with.a.long.name@mastodon.example"
POST = "spring-collection-launch-2027"
CAMPAIGN = "spring-launch-2027-international-edition"
TOKEN = "ci-deploy-token-for-staging"
TEXT = ("🌸 Our spring collection is here! Hand-made ceramics, linen and more — "
        "free shipping this week only. 🚚✨ #spring #handmade")


@pytest.fixture
def narrow(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> CLI:
    """An account, a campaign, a scheduled post (so a delivery), a slot, a token and
    two inbox items with long names; then the terminal is 80 columns wide."""
    for args in (("accounts", "add", ACCOUNT, "--base-url", "https://social.example.org"),
                 ("accounts", "add", "x:@shop"),
                 ("campaigns", "add", CAMPAIGN, "--starts", "2027-03-01", "--ends",
                  "2027-04-30", "--budget", "12500.00", "--currency", "EUR"),
                 ("posts", "create", "--name", POST, "-b", TEXT, "-t", ACCOUNT, "-t",
                  "x:@shop", "--at", "tomorrow 09:00", "--campaign", CAMPAIGN),
                 ("slots", "add", ACCOUNT, "--day", "mon", "--time", "09:00", "--zone",
                  "America/Argentina/ComodRivadavia"),
                 ("tokens", "create", "--name", TOKEN, "--scope",
                  "posts:read,posts:write,inbox:read,analytics:read")):
        made = cli(*args)
        assert made.exit_code == 0, (args, made.stderr)
    hub = make_hub()
    try:
        now = datetime.now(UTC)
        arrive(hub, 1, now - timedelta(hours=1), author=AUTHOR, text=TEXT)
        arrive(hub, 2, now, author="bob", text="[bold]not markup[/bold] :x: no emoji")
    finally:
        hub.dispose()
    monkeypatch.setenv("COLUMNS", "80")
    return cli


def _fits(result: CLIResult, *whole: str) -> str:
    """The table's stdout, once it is known to fit 80 cells and show ``whole`` whole."""
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80, result.stdout
    for text in whole:
        assert text in result.stdout, (text, result.stdout)
    return result.stdout


def test_inbox_list_keeps_the_id_and_the_senders_handle_whole(narrow: CLI) -> None:
    shown = _fits(narrow("inbox", "list"), f"@{AUTHOR}", "1•", "2•")
    assert "not shown at this width: account" in shown


def test_a_cell_is_never_read_as_markup_or_an_emoji_code(
        narrow: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    shown = narrow("inbox", "list").stdout
    assert "[bold]not markup[/bold] :x: no emoji" in shown
    audit = narrow("audit", "list", "--record", "account").stdout
    assert "account:x:@shop" in audit.lower() and "❌" not in audit


def test_queue_list_keeps_the_id_account_status_and_time_whole(narrow: CLI) -> None:
    ids = [str(d["id"]) for d in narrow("queue", "list", "--json").json()]
    shown = _fits(narrow("queue", "list"), ACCOUNT, "x:@shop", "scheduled", *ids)
    assert "not shown at this width:" in shown and "reason / URL" in shown
    assert "…" not in shown


def test_posts_list_keeps_the_name_status_and_time_whole(narrow: CLI) -> None:
    at = narrow("posts", "list", "--json").json()[0]["targets"][0]["at"]
    shown = _fits(narrow("posts", "list"), POST, "scheduled", at.split()[0])
    assert "not shown at this width: text" in shown


def test_campaigns_list_keeps_the_name_and_dates_whole(narrow: CLI) -> None:
    shown = _fits(narrow("campaigns", "list"), CAMPAIGN, "2027-03-01", "planned")
    assert "not shown at this width:" in shown and "budget" in shown


def test_accounts_list_keeps_the_handle_whole(narrow: CLI) -> None:
    _fits(narrow("accounts", "list"), ACCOUNT, "x:@shop", "active")


def test_slots_list_keeps_the_handle_whole_and_names_the_zone_left_out(narrow: CLI) -> None:
    shown = _fits(narrow("slots", "list"), ACCOUNT, "09:00")
    assert "not shown at this width: zone" in shown


def test_tokens_list_keeps_the_name_and_prefix_whole(narrow: CLI) -> None:
    prefix = narrow("tokens", "list", "--json").json()[0]["prefix"]
    shown = _fits(narrow("tokens", "list"), TOKEN, prefix, "active")
    assert "not shown at this width: last used" in shown


def test_audit_list_keeps_the_record_and_time_whole(narrow: CLI) -> None:
    newest = narrow("audit", "list", "--json").json()[0]
    shown = _fits(narrow("audit", "list", "--record", f"post:{POST}"), f"Post:{POST}")
    assert newest["at"][:10] in narrow("audit", "list").stdout
    assert "not shown at this width: channel" in shown


def test_inbox_status_keeps_the_handle_whole(narrow: CLI) -> None:
    _fits(narrow("inbox", "status"), ACCOUNT)


def test_json_is_untouched_by_the_width(narrow: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    at_80 = narrow("queue", "list", "--json").stdout
    monkeypatch.setenv("COLUMNS", "200")
    assert narrow("queue", "list", "--json").stdout == at_80


def test_daemon_status_keeps_job_names_and_times_whole_and_wraps_the_error(
        narrow: CLI) -> None:
    from socialhub.db.models import JobRun

    error = ("inbox sync of mastodon:@community.team@social.example.org failed: HTTP 503 "
             "Service Unavailable (the instance is under maintenance until 18:00 UTC)")
    finished = datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC)
    hub = make_hub()
    try:
        with hub.transaction() as session:
            session.add(JobRun(name="inbox_sync_mastodon_community", last_status="error",
                               last_finished_at=finished, last_error=error))
    finally:
        hub.dispose()
    shown = _fits(narrow("daemon", "status"), "inbox_sync_mastodon_community", "error",
                  "2026-12-07", "14:05:09")
    flattened = " ".join(" ".join(line.strip("│ ").split("│")[-1].split())
                         for line in shown.splitlines() if line.startswith("│"))
    assert "under maintenance until 18:00 UTC)" in flattened, shown  # all of it, wrapped


def test_a_control_character_in_a_cell_does_not_widen_the_table(narrow: CLI) -> None:
    """Each control character is printed as a symbol one cell wide (``␛``): the table is
    measured with the symbols, so it still fits."""
    hub = make_hub()
    try:
        arrive(hub, 3, datetime.now(UTC), author="\x1b[2J\x1b[31m\x1b]0;x\x07mallory" * 3)
    finally:
        hub.dispose()
    shown = _fits(narrow("inbox", "list"), "␛[2J␛[31m␛]0;x␇mallory")
    assert "\x1b" not in shown


def test_the_calendar_agenda_cuts_the_text_to_the_line_not_the_names(narrow: CLI) -> None:
    shown = narrow("calendar").stdout
    lines = [line for line in shown.splitlines() if POST in line]
    assert len(lines) == 2, shown  # one per target, each naming the post whole
    short = next(line for line in lines if "x:@shop" in line)
    assert cell_len(short) <= 80 and short.endswith("…"), short  # the text gave way
    long = next(line for line in lines if ACCOUNT in line)
    assert "scheduled" in long and long.endswith("…"), long  # whole names, text cut short
