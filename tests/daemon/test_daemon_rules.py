"""Workflow rules in the daemon as a real process: a new entry in a feed served on
loopback becomes a draft scheduled into the account's next free slot, and a post the
daemon publishes sets off a post_published rule — each once, audited as the daemon."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from socialhub.db.models import AuditEvent, Post, Rule, RuleRun
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.authoring.slots import add_slot
from tests.conftest import CLIResult
from tests.daemon.test_daemon import DaemonProcess, sandbox, spawn, spawn_ready
from tests.publishing_kit import connect_account, make_hub, schedule, wait_for
from tests.services.rules.feed_server import FeedServer

__all__ = ["sandbox", "spawn"]  # the fixtures this module borrows
pytestmark = pytest.mark.slow

RULES = """apiVersion: socialhub/v1
kind: Rule
metadata:
  name: blog-to-post
spec:
  trigger:
    type: feed
    url: {url}
    every: 5
  actions:
    - draft:
        text: "New on the blog: {{{{ entry.title }}}} {{{{ entry.link }}}}"
        accounts: [sandbox:@demo]
    - schedule: next_slot
---
apiVersion: socialhub/v1
kind: Rule
metadata:
  name: announce
spec:
  trigger:
    type: post_published
  actions:
    - notify: "{{{{ post.post }}}} is out"
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_daemon_turns_a_feed_entry_into_a_scheduled_draft_and_sees_posts_go_out(
        tmp_path: Path, sandbox: SandboxServer, spawn: Callable[..., DaemonProcess],
        dbcli: Callable[..., CLIResult]) -> None:
    feed = FeedServer()
    hub = make_hub()
    try:
        connect_account(hub, sandbox.url)
        with hub.context("cli") as ctx:
            add_slot(ctx, "sandbox:@demo", weekday="wed", time="10:30", zone="UTC")
        feed.add("Already there")
        path = tmp_path / "rules.yaml"
        path.write_text(RULES.format(url=feed.url))
        assert dbcli("apply", "-f", str(path)).exit_code == 0
        daemon = spawn_ready(spawn, tmp_path, "rules", SOCIALHUB_DAEMON_RULES_INTERVAL_S="1",
                             SOCIALHUB_INBOX_ENABLED="false")

        def state() -> dict[str, object]:
            with hub.transaction() as session:
                rule = session.scalar(select(Rule).where(Rule.name == "blog-to-post"))
                assert rule is not None
                return dict(rule.state)

        assert wait_for(lambda: "seen" in state(), timeout=20), daemon.logs()
        link = feed.add("Rules in the daemon")
        due = schedule(hub, "launch", datetime.now(UTC) - timedelta(seconds=1))

        def runs() -> list[tuple[str, str, str]]:
            with hub.transaction() as session:
                return [(r.rule_name, r.subject, r.outcome) for r in
                        session.scalars(select(RuleRun).order_by(RuleRun.rule_name))]

        assert wait_for(lambda: len(runs()) == 2, timeout=30), daemon.logs()
        assert daemon.stop() == 0
        [(a_rule, a_subject, a_outcome), (b_rule, _, b_outcome)] = runs()
        assert (a_rule, a_subject, a_outcome) == ("announce", f"delivery:{due}", "done")
        assert (b_rule, b_outcome) == ("blog-to-post", "done")
        with hub.transaction() as session:
            draft = session.scalar(select(Post).where(Post.tags.is_not(None),
                                                      Post.name != "launch"))
            assert draft is not None
            assert draft.body == f"New on the blog: Rules in the daemon {link}"
            assert draft.status == "scheduled"
            at = draft.variants[0].scheduled_at
            assert at is not None
            assert (at.astimezone(UTC).weekday(), at.astimezone(UTC).hour) == (2, 10)
            acted = session.scalars(select(AuditEvent).where(
                AuditEvent.record_kind == "Rule", AuditEvent.action == "acted")).all()
            assert sorted(e.change["action"] for e in acted) == ["draft", "notify",
                                                                 "schedule"]
            assert all(e.channel == "daemon" and e.actor == "daemon" for e in acted)
    finally:
        feed.stop()
        hub.dispose()
