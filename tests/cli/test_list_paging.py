"""List commands page alike: a default of 50, --limit/--cursor/--offset/--all, a note on
stderr that gives the next page's cursor.

The posts are made quickly through the service layer; the paging itself is
checked through the real CLI, and one test proves the limit reaches the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from socialhub.services.hub import Hub
from tests.conftest import CLIResult
from tests.publishing_kit import make_hub, when

CLI = Callable[..., CLIResult]
ACCOUNT = "bluesky:@shop.example.com"
SCHEDULED, DRAFTS = 60, 15


def seed(hub: Hub) -> None:
    """60 scheduled posts (newest created first, so id order ≠ time order) and 15 drafts."""
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post

    now = datetime.now(UTC)
    with hub.context("cli") as ctx:
        add_account(ctx, platform="bluesky", handle="shop.example.com")
        for i in reversed(range(SCHEDULED)):
            name = f"p{i:03d}"
            create_post(ctx, name=name, body=f"post {i}",
                        targets=[TargetSpec(account=ACCOUNT)])
            schedule_post(ctx, name, at=when(now + timedelta(days=1, hours=i)), now=now)
        for i in range(DRAFTS):
            create_post(ctx, name=f"d{i:03d}", body=f"draft {i}",
                        targets=[TargetSpec(account=ACCOUNT)])


@pytest.fixture
def seeded(dbcli: CLI, hub: Hub) -> Hub:
    seed(hub)
    return hub


def names(result: CLIResult, key: str = "name") -> list[Any]:
    assert result.exit_code == 0, result.stderr
    return [row[key] for row in result.json()]


def test_posts_and_queue_list_page_alike_with_a_closing_line(seeded: Hub, dbcli: CLI) -> None:
    total = SCHEDULED + DRAFTS
    every = names(dbcli("posts", "list", "--all", "--json"))
    # Earliest scheduled first, drafts last: the order the SQL gives, page after page.
    assert every == [f"p{i:03d}" for i in range(SCHEDULED)] + [f"d{i:03d}" for i in range(DRAFTS)]
    first = dbcli("posts", "list", "--json")
    assert names(first) == every[:50]
    note = first.stderr.strip()
    assert note.startswith(f"showing 50 of {total} posts — next page: --cursor ")
    assert note.endswith(" (or --all)")
    following = dbcli("posts", "list", "--json", "--cursor", note.split()[-3])
    assert names(following) == every[50:]
    assert following.stderr.strip() == f"showing {total - 50} of {total} posts — the last page"
    table = dbcli("posts", "list")
    assert table.exit_code == 0
    assert "p049" in table.stdout and "p050" not in table.stdout
    assert f"showing 50 of {total} posts" in table.stderr
    pages = [names(dbcli("posts", "list", "--json", "--limit", "20", "--offset", str(o)))
             for o in range(0, total, 20)]
    assert [n for page in pages for n in page] == every  # no row twice, none missed
    middle = dbcli("posts", "list", "--json", "--limit", "10", "--offset", "55")
    assert f"showing 56–65 of {total} posts — next page: --cursor " in middle.stderr
    last = dbcli("posts", "list", "--json", "--limit", "20", "--offset", "60")
    assert last.stderr.strip() == f"showing 61–75 of {total} posts — the last page"

    queue = dbcli("queue", "list", "--json")
    assert len(names(queue, "id")) == 50
    assert f"showing 50 of {SCHEDULED} deliveries" in queue.stderr
    all_ids = names(dbcli("queue", "list", "--json", "--all"), "id")
    assert len(all_ids) == SCHEDULED
    assert names(dbcli("queue", "list", "--json", "--limit", "7", "--offset", "3"),
                 "id") == all_ids[3:10]
    assert dbcli("queue", "list", "--all").stderr == ""  # nothing left out: no note


@pytest.mark.parametrize("args", [("--limit", "0"), ("--offset", "-1"),
                                  ("--offset", "9223372036854775808"),
                                  ("--limit", "9223372036854775808")],
                         ids=["limit0", "neg", "offset-overflow", "limit-overflow"])
@pytest.mark.parametrize("noun", ["posts", "queue"])
def test_a_bad_limit_or_offset_is_one_line_and_exit_4(cli: CLI, noun: str,
                                                      args: tuple[str, str]) -> None:
    result = cli(noun, "list", *args)
    assert result.exit_code == 4
    assert len(result.stderr.strip().splitlines()) == 1
    assert args[0] in result.stderr


def test_the_posts_query_pages_in_sql(seeded: Hub) -> None:
    from socialhub.services.authoring.posts import list_posts

    seen: list[str] = []

    def log(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(seeded.engine, "before_cursor_execute", log)
    try:
        with seeded.context("cli") as ctx:
            posts = list_posts(ctx, limit=5, offset=2)
    finally:
        event.remove(seeded.engine, "before_cursor_execute", log)
    assert [p.name for p in posts] == [f"p{i:03d}" for i in range(2, 7)]
    main = next(s for s in seen if "FROM posts" in s)
    assert "LIMIT" in main.upper() and "OFFSET" in main.upper()


def test_campaigns_list_pages_the_same_way(cli: CLI) -> None:
    from socialhub.services.authoring.campaigns import add_campaign

    hub = make_hub()
    try:
        with hub.context("cli") as ctx:
            for i in range(55):
                add_campaign(ctx, f"c{i:02d}")
    finally:
        hub.dispose()
    first = cli("campaigns", "list", "--json")
    assert names(first) == [f"c{i:02d}" for i in range(50)]
    assert "showing 50 of 55 campaigns — next page: --cursor " in first.stderr
    assert len(names(cli("campaigns", "list", "--json", "--all"))) == 55
    assert names(cli("campaigns", "list", "--json", "--limit", "3", "--offset", "52")) == \
        ["c52", "c53", "c54"]


#: List commands that do not page, and why: each lists configuration someone wrote by
#: hand (a few dozen rows at most), not records that pile up as the hub runs.
UNPAGED = {
    "socialhub accounts list": "accounts the organization added",
    "socialhub slots list": "posting slots set by hand",
    "socialhub voices list": "voice profiles",
    "socialhub tokens list": "API tokens",
    "socialhub members list": "members of the organization",
    "socialhub orgs list": "organizations of the login",
    "socialhub rules list": "workflow rules from manifests",
    "socialhub webhooks list": "webhook endpoints from the configuration",
    "socialhub experiments list": "experiments from manifests",
    "socialhub evergreen list": "posts put in the evergreen queue one by one",
}


def _list_commands() -> dict[str, Any]:
    import typer.main

    from socialhub.cli.main import app

    found: dict[str, Any] = {}

    def walk(cmd: Any, path: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            if getattr(sub, "commands", None):
                walk(sub, f"{path} {name}")
            elif name in ("list", "log"):
                found[f"{path} {name}"] = sub

    walk(typer.main.get_command(app), "socialhub")
    return found


def test_every_list_of_records_pages_with_the_same_options_and_default() -> None:
    """Each ``list``/``log`` command that can grow without bound takes --limit (-n),
    --cursor, --offset and --all, with the one default of 50; the others are named
    above."""
    from socialhub.services.paging import DEFAULT_LIMIT

    commands = _list_commands()
    assert set(UNPAGED) <= set(commands), "a command named in UNPAGED no longer exists"
    paged = {path: cmd for path, cmd in commands.items() if path not in UNPAGED}
    assert {"socialhub posts list", "socialhub queue list", "socialhub inbox list",
            "socialhub audit list", "socialhub campaigns list", "socialhub links list",
            "socialhub rules log", "socialhub webhooks log"} <= set(paged)
    for path, cmd in paged.items():
        options = {opt: p for p in cmd.params for opt in getattr(p, "opts", [])}
        missing = {"--limit", "-n", "--cursor", "--offset", "--all"} - set(options)
        assert not missing, f"{path} lacks {sorted(missing)}"
        assert options["--limit"].default is None, path  # None: DEFAULT_LIMIT
        assert f"default {DEFAULT_LIMIT}" in (options["--limit"].help or ""), path


@pytest.mark.parametrize("noun", ["posts", "queue", "campaigns", "inbox", "audit", "links"])
def test_a_bad_cursor_is_one_line_and_exit_4(cli: CLI, noun: str) -> None:
    from socialhub.services.paging import RULE_RUNS

    for cursor, says in (("junk", "not a cursor this list gave out"),
                         (RULE_RUNS.encode((5,)), "a cursor of another list")):
        result = cli(noun, "list", "--cursor", cursor)
        assert result.exit_code == 4, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "--cursor" in result.stderr and says in result.stderr
