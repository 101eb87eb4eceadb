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
    assert "Sale [/b] starts [link] Monday :x:" in agenda.stdout  # cut to the line
    month = cli("calendar", "--view", "month", "--from", "tomorrow")
    assert month.exit_code == 0, month.stderr
    assert "sale" in month.stdout


def _comment(cli: CLI, author: str, text: str) -> None:
    """An account, and one comment on it from ``author``, stored as a sync stores it."""
    assert cli("accounts", "add", "mastodon:@shop", "--base-url",
               "https://m.example").exit_code == 0
    hub = make_hub()
    try:
        arrive(hub, 1, datetime.now(UTC) - timedelta(minutes=5), author=author, text=text)
    finally:
        hub.dispose()


def test_an_inbox_item_with_codes_shows_as_written(cli: CLI) -> None:
    _comment(cli, "dana", BODY)
    listed = cli("inbox", "list", "--json").json()
    shown = cli("inbox", "show", str(listed[0]["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert BODY in shown.stdout and "❌" not in shown.stdout


def test_escape_sequences_from_a_stranger_never_reach_the_terminal(cli: CLI) -> None:
    # Rich passes ESC through: a comment could recolour, clear or retitle the terminal,
    # or write the clipboard (OSC 52). It shows as ␛ in every human output.
    _comment(cli, "mallory", "hello \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2Jgone")
    listed = cli("inbox", "list")
    item = cli("inbox", "list", "--json").json()[0]
    shown = cli("inbox", "show", str(item["id"]))
    for result in (listed, shown):
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "␛" in result.stdout
    assert "hello ␛]52;c;cm0gLXJmIH4= ␛[2Jgone" in shown.stdout  # Rich drops the bell
    assert item["text"] == "hello \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2Jgone"  # stored as sent
