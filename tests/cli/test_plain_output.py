"""What people and platforms wrote is printed as written: never read as Rich markup
(`[/b]` stopped the command with "unexpected MarkupError", `[link]` vanished) nor as
`:emoji:` codes. Rendering, so one database (the embedded SQLite) is enough."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.conftest import CLIResult
from tests.inbox_kit import arrive
from tests.publishing_kit import make_hub

CLI = Callable[..., CLIResult]
BODY = "Sale [/b] starts [link] Monday :x: [bold]now[/bold]"


def test_a_post_with_brackets_shows_as_written_in_show_and_the_calendar(cli: CLI) -> None:
    for args in (("accounts", "add", "mastodon:@shop", "--base-url", "https://m.example"),
                 ("posts", "create", "--name", "sale", "-b", BODY, "-t", "mastodon:@shop",
                  "--at", "tomorrow 09:00")):
        made = cli(*args)
        assert made.exit_code == 0, (args, made.stderr)
    shown = cli("posts", "show", "sale")
    assert shown.exit_code == 0, shown.stderr
    assert f"body: {BODY}" in shown.stdout
    agenda = cli("calendar", "--from", "tomorrow", "--days", "1")
    assert agenda.exit_code == 0, agenda.stderr
    assert "Sale [/b] starts [link] Monday :x: [bo" in agenda.stdout  # cut at 50
    month = cli("calendar", "--view", "month", "--from", "tomorrow")
    assert month.exit_code == 0, month.stderr
    assert "sale" in month.stdout


def test_an_inbox_item_with_codes_shows_as_written(cli: CLI) -> None:
    assert cli("accounts", "add", "mastodon:@shop", "--base-url",
               "https://m.example").exit_code == 0
    hub = make_hub()
    try:
        arrive(hub, 1, datetime.now(UTC) - timedelta(minutes=5), author="dana",
               text=BODY)
    finally:
        hub.dispose()
    listed = cli("inbox", "list", "--json").json()
    shown = cli("inbox", "show", str(listed[0]["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert BODY in shown.stdout and "❌" not in shown.stdout
