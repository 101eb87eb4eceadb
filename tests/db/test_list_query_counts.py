"""Every list command reads its rows in a constant number of SQL statements.

The organization is filled through the services with a few rows of each kind
(posts with scheduled deliveries, a campaign and a voice each, accounts, slots,
campaigns, voices, tokens, members, evergreen entries — and the audit records all
of that leaves), each list command is run through the real CLI with ``--json``
(and ``--all`` where it pages) while a SQLAlchemy ``before_cursor_execute``
listener counts the statements, then the organization is filled to ten times as
many rows and the lists run again: the counts must not move. An N+1 (one query
per row for a related record) shows up as 27 extra statements.

On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialhub.services.hub import Hub
from tests.conftest import CLIResult
from tests.publishing_kit import when

CLI = Callable[..., CLIResult]
FEW, MANY = 3, 30

#: The list commands and the arguments that make them print every row as JSON.
LISTS: dict[str, list[str]] = {
    "posts list": ["posts", "list", "--json", "--all"],
    "queue list": ["queue", "list", "--json", "--all"],
    "accounts list": ["accounts", "list", "--json"],
    "campaigns list": ["campaigns", "list", "--json", "--all"],
    "slots list": ["slots", "list", "--json"],
    "voices list": ["voices", "list", "--json"],
    "audit list": ["audit", "list", "--json", "--all"],
    "tokens list": ["tokens", "list", "--json"],
    "members list": ["members", "list", "--json"],
    "evergreen list": ["evergreen", "list", "--json"],
    "inbox list": ["inbox", "list", "--json", "--all"],
    "links list": ["links", "list", "--json", "--all"],
    "experiments list": ["experiments", "list", "--json"],
    "rules list": ["rules", "list", "--json"],
    "rules log": ["rules", "log", "--json", "--all"],
    "webhooks log": ["webhooks", "log", "--json", "--all"],
}


def fill(hub: Hub, start: int, stop: int, logins: str) -> None:
    """Rows ``start`` … ``stop - 1`` of every kind the lists show."""
    from socialhub.services.access.tokens import create_token
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.ai.voices import add_voice
    from socialhub.services.authoring.campaigns import add_campaign
    from socialhub.services.authoring.evergreen import add_evergreen
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post
    from socialhub.services.authoring.slots import add_slot
    from socialhub.services.teams.members import add_member

    now = datetime.now(UTC)
    with hub.context("cli") as ctx:
        for i in range(start, stop):
            handle = f"shop{i:03d}"
            add_account(ctx, platform="sandbox", handle=handle)
            account = f"sandbox:@{handle}"
            add_campaign(ctx, f"campaign-{i:03d}")
            add_voice(ctx, f"voice-{i:03d}", description="friendly")
            add_slot(ctx, account, weekday=i % 7, time=f"{9 + i % 8:02d}:00",
                     zone="Europe/Berlin")
            name = f"post-{i:03d}"
            # Two targets each, so a post's targets and deliveries are several rows.
            create_post(ctx, name=name, body=f"post {i}", campaign=f"campaign-{i:03d}",
                        voice=f"voice-{i:03d}",
                        targets=[TargetSpec(account=account), TargetSpec(account="x:@shop")])
            schedule_post(ctx, name, at=when(now + timedelta(days=1, hours=i)), now=now)
            add_evergreen(ctx, name)
            create_token(ctx, name=f"token-{i:03d}", scopes="posts:read")
            add_member(ctx, f"{logins}{i:03d}", "editor")
            records(ctx, i, name, account)


def records(ctx: Any, i: int, post_name: str, account_ref: str) -> None:
    """The rows that arrive from outside (inbox items, rule runs, webhook deliveries,
    short links) or from manifests (rules, experiments), written as the tables hold them."""
    from socialhub.db.models import (
        Account,
        Experiment,
        ExperimentArm,
        InboxItem,
        Post,
        Rule,
        RuleRun,
        ShortLink,
        WebhookDelivery,
    )

    session, org_id, now = ctx.session, ctx.org_id, datetime.now(UTC)
    platform, handle = account_ref.split(":@")
    account = session.scalar(select(Account).where(
        Account.org_id == org_id, Account.platform == platform, Account.handle == handle))
    post = session.scalar(select(Post).where(Post.org_id == org_id, Post.name == post_name))
    assert account is not None and post is not None
    session.add(InboxItem(org_id=org_id, account_id=account.id, platform=platform,
                          remote_id=f"r{i}", kind="comment", author_handle=f"fan{i}",
                          text=f"love it {i}", received_at=now - timedelta(minutes=i)))
    rule = Rule(org_id=org_id, name=f"rule-{i:03d}", trigger={"on": "inbox"},
                actions=[{"action": "mark_read"}])
    session.add(rule)
    session.flush()
    session.add(RuleRun(org_id=org_id, rule_id=rule.id, rule_name=rule.name,
                        subject=f"inbox:{i}", trigger="inbox", outcome="done", ran_at=now))
    session.add(WebhookDelivery(org_id=org_id, webhook_id=f"msg_{org_id}_{i}",
                                endpoint="ci", event="post.published", body="{}"))
    session.add(ShortLink(org_id=org_id, code=f"c{org_id}x{i}", url=f"https://e.com/{i}",
                          url_hash=f"{i:064d}", target=f"https://e.com/{i}?utm=x",
                          post_id=post.id, account_id=account.id, platform=platform))
    session.add(Experiment(org_id=org_id, name=f"exp-{i:03d}", campaign_id=post.campaign_id,
                           metric="likes", split="slots", min_sample=100, confidence=0.95,
                           arms=[ExperimentArm(name="a", post_id=post.id, position=0),
                                 ExperimentArm(name="b", post_id=post.id, position=1)]))
    session.flush()


#: Member logins: PostgreSQL login roles are cluster-wide, so unique to each test run.
LOGINS = f"m{secrets.token_hex(3)}_"


def run_lists(dbcli: CLI, statements: list[str]) -> dict[str, tuple[int, int]]:
    """Each list's (rows printed, statements issued)."""
    found: dict[str, tuple[int, int]] = {}
    for label, args in LISTS.items():
        statements.clear()
        result = dbcli(*args)
        assert result.exit_code == 0, f"{label}: {result.stderr}"
        found[label] = (len(json.loads(result.stdout)), len(statements))
    return found


def test_every_list_issues_the_same_statements_for_3_and_30_rows(
        filled: Hub, dbcli: CLI, counting: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # posts list reads through the driver on SQLite (a fixed set of statements,
    # tests/db/test_posts_direct.py); counted here is its read through the hub.
    import socialhub.services.direct as direct_service

    monkeypatch.setattr(direct_service, "read_directly", lambda *_: None)
    few = run_lists(dbcli, counting)
    fill(filled, FEW, MANY, LOGINS)
    many = run_lists(dbcli, counting)
    grew = []
    for label in LISTS:
        (rows_few, queries_few), (rows_many, queries_many) = few[label], many[label]
        assert rows_many > rows_few, f"{label}: the fill added no rows ({rows_few})"
        if queries_many != queries_few:
            grew.append(f"{label}: {queries_few} statements for {rows_few} rows, "
                        f"{queries_many} for {rows_many}")
    assert not grew, "\n".join(grew)


def test_the_row_read_post_list_matches_post_summary_page_by_page(filled: Hub) -> None:
    """``posts list --json`` reads plain rows; each page is what ``post_summary`` of the
    ORM posts of ``list_posts`` gives, in the same order, with every filter."""
    from socialhub.services.authoring.posts import list_posts
    from socialhub.services.authoring.scheduling import list_post_summaries, post_summary

    with filled.context("cli") as ctx:
        create_draft(ctx)
        for filters in ({}, {"limit": 2, "offset": 1}, {"offset": 2},
                        {"status": "draft"}, {"account": "sandbox:@shop001"},
                        {"campaign": "campaign-002", "limit": 1}):
            expected = [post_summary(ctx.session, p) for p in list_posts(ctx, **filters)]
            assert expected, filters
            assert list_post_summaries(ctx, **filters) == expected, filters


def create_draft(ctx: Any) -> None:
    """A draft with a thread, media, options and no campaign, voice or delivery."""
    from socialhub.services.authoring.posts import TargetSpec, create_post

    create_post(ctx, name="draft", body="a draft", tags=["a", "b"], targets=[TargetSpec(
        account="x:@shop", thread=["one", "two"], options={"reply_settings": "following"})])


def walk(dbcli: CLI, args: list[str]) -> list[Any]:
    """Every row of a list, read page after page by following the ``--cursor`` the note on
    stderr gives until it gives none."""
    rows: list[Any] = []
    cursor: list[str] = []
    for _ in range(100):
        result = dbcli(*args, *cursor)
        assert result.exit_code == 0, result.stderr
        rows += json.loads(result.stdout)
        if "--cursor" not in result.stderr:
            return rows
        cursor = ["--cursor", result.stderr.split("--cursor ")[1].split()[0]]
    raise AssertionError("the cursors never ended")


def test_the_logs_and_links_page_in_sql_like_the_other_lists(filled: Hub, dbcli: CLI) -> None:
    """``rules log``, ``webhooks log`` and ``links list`` now page like ``posts list``:
    50 by default, --limit/--offset slice the --all order, a note on stderr says so and
    gives the next page's --cursor; following the cursors gives the --all order."""
    fill(filled, FEW, MANY, LOGINS)
    for args, noun in ((["rules", "log"], "executions"), (["webhooks", "log"], "deliveries"),
                       (["links", "list"], "links")):
        every = dbcli(*args, "--json", "--all")
        assert every.exit_code == 0 and every.stderr == "", every.stderr
        rows = json.loads(every.stdout)
        assert len(rows) == MANY
        page = dbcli(*args, "--json", "--limit", "5", "--offset", "2")
        assert json.loads(page.stdout) == rows[2:7]
        assert page.stderr.startswith(f"showing 3–7 of {MANY} {noun} — next page: --cursor ")
        assert walk(dbcli, [*args, "--json", "-n", "7"]) == rows  # each once, in order
        short = dbcli(*args, "-n", "4")
        assert short.exit_code == 0 and f"showing 4 of {MANY} {noun}" in short.stderr
