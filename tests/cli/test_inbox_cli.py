"""``socialhub inbox``: sync, list with filters and --json, show the conversation, reply
through the queue, archive, assign, mark; one-line errors and an untouched database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from socialhub.sandbox_network.server import SandboxServer
from tests.publishing_kit import connect_account, make_hub


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def synced(dbcli: Callable[..., Any], sandbox: SandboxServer) -> Callable[..., Any]:
    hub = make_hub()
    try:
        connect_account(hub, sandbox.url)
    finally:
        hub.dispose()
    httpx.post(f"{sandbox.url}/_sandbox/inbox", json={"count": 12, "seed": 3},
               timeout=10).raise_for_status()
    result = dbcli("inbox", "sync", "--json")
    assert result.exit_code == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert report["new"] == 12
    return dbcli


def test_list_filters_and_json(synced: Callable[..., Any]) -> None:
    every = json.loads(synced("inbox", "list", "--json", "--all").stdout)
    assert len(every) == 12
    assert every == sorted(every, key=lambda r: (r["received_at"], r["id"]), reverse=True)
    mentions = json.loads(synced("inbox", "list", "--json", "--kind", "mention").stdout)
    assert mentions and all(r["kind"] == "mention" for r in mentions)
    unread = json.loads(synced("inbox", "list", "--json", "--unread",
                               "--since", "yesterday").stdout)
    assert len(unread) == 12
    table = synced("inbox", "list")
    assert table.exit_code == 0
    assert all(f"{r['id']}•" in table.stdout for r in every)  # every item, marked unread


def test_reply_show_archive_assign_mark(synced: Callable[..., Any]) -> None:
    first = json.loads(synced("inbox", "list", "--json", "--limit", "1").stdout)[0]
    item = str(first["id"])
    replied = synced("inbox", "reply", item, "Thanks, we will look into it.", "--json")
    assert replied.exit_code == 0, replied.stderr
    delivery = json.loads(replied.stdout)["delivery_id"]
    queue = json.loads(synced("queue", "list", "--json").stdout)
    assert [q["id"] for q in queue] == [delivery]
    again = synced("inbox", "reply", item, "Thanks, we will look into it.")
    assert again.exit_code == 0 and "already queued" in again.stderr
    shown = synced("inbox", "show", item)
    assert first["text"].split()[0] in shown.stdout
    assert "you [scheduled]" in shown.stdout and "Thanks, we will look into it." in shown.stdout
    # An assignee is a member: the acting login (the owner) is one.
    me = json.loads(synced("members", "list", "--json").stdout)[0]["login"]
    assert synced("inbox", "assign", item, "alice").exit_code == 4  # not a member
    assert synced("inbox", "assign", item, me).exit_code == 0
    assigned = json.loads(synced("inbox", "list", "--json", "--assignee", me).stdout)
    assert [r["id"] for r in assigned] == [first["id"]]
    assert synced("inbox", "mark", item, "unread").exit_code == 0
    assert synced("inbox", "archive", item).exit_code == 0
    remaining = json.loads(synced("inbox", "list", "--json", "--all").stdout)
    assert first["id"] not in [r["id"] for r in remaining]
    archived = json.loads(synced("inbox", "list", "--json", "--archived").stdout)
    assert [r["id"] for r in archived] == [first["id"]] and archived[0]["read"]


def test_bad_input_is_one_line_and_changes_nothing(synced: Callable[..., Any]) -> None:
    before = synced("inbox", "list", "--json", "--all").stdout
    too_long = synced("inbox", "reply", "1", "x" * 600)
    assert too_long.exit_code != 0
    assert too_long.stderr.count("\n") == 1 and "600" in too_long.stderr
    missing = synced("inbox", "show", "9999")
    assert missing.exit_code != 0 and "no inbox item 9999" in missing.stderr
    bad_kind = synced("inbox", "list", "--kind", "likes")
    assert bad_kind.exit_code != 0 and "unknown kind" in bad_kind.stderr
    assert synced("inbox", "mark", "1", "maybe").exit_code != 0
    assert synced("inbox", "list", "--json", "--all").stdout == before
    assert json.loads(synced("queue", "list", "--json").stdout) == []


def test_show_prints_the_posts_above_a_reply(synced: Callable[..., Any]) -> None:
    # The Bluesky sync stores the posts above a reply in context["thread"] (tested
    # against the PDS and an AppView); show prints them in the conversation, ours as you.
    from sqlalchemy import select

    from socialhub.db.models import Account, InboxItem

    first = json.loads(synced("inbox", "list", "--json", "--limit", "1").stdout)[0]
    hub = make_hub()
    try:
        with hub.transaction() as session:
            item = session.get(InboxItem, first["id"])
            assert item is not None
            me = session.scalars(select(Account).where(Account.id == item.account_id)).one()
            item.context = {**(item.context or {}), "thread": [
                {"uri": "post-root", "did": me.external_id, "author": me.handle,
                 "text": "Our spring sale starts today", "at": "2020-01-01T09:00:00Z"},
                {"uri": "post-mid", "did": "did:plc:zoe", "author": "zoe.example",
                 "text": "Is the blue one included?", "at": "2020-01-01T10:00:00Z"}]}
    finally:
        hub.dispose()
    shown = synced("inbox", "show", str(first["id"]))
    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert out.index("Our spring sale starts today") < out.index("Is the blue one included?")
    assert out.index("Is the blue one included?") < out.index(first["text"].split("\n")[0])
    assert "you [published]" in out and "@zoe.example" in out
    data = json.loads(synced("inbox", "show", str(first["id"]), "--json").stdout)
    thread = [e for e in data["conversation"] if e.get("source") == "thread"]
    assert [(e["role"], e["text"]) for e in thread] == [
        ("us", "Our spring sale starts today"), ("them", "Is the blue one included?")]
