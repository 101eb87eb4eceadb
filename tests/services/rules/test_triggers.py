"""The triggers besides the inbox: a feed entry becomes a draft scheduled into the next
free slot (once per entry, the backlog never), a published post and a metric reaching a
value set a rule off once, a cron schedule ticks; malformed rules are refused with
file:line; ``rules test`` replays each trigger's events without side effects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from socialhub.core.rules import RuleSpec, matches, next_tick, render
from socialhub.db.models import AuditEvent, MetricLatest, Post, Rule, RuleRun
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.authoring.slots import add_slot
from socialhub.services.hub import Hub
from socialhub.services.rules.engine import feeds_due, replay_rule, run_rules
from socialhub.services.rules.feeds import parse_feed
from tests.conftest import CLIResult
from tests.publishing_kit import make_engine, run, schedule
from tests.services.rules.feed_server import FeedServer


def _manifest(name: str, spec: str) -> str:
    return (f"apiVersion: socialhub/v1\nkind: Rule\nmetadata:\n  name: {name}\nspec:\n"
            + spec)


def _apply(dbcli: Callable[..., CLIResult], tmp_path: Path, text: str) -> CLIResult:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return dbcli("apply", "-f", str(path))


def _run(hub: Hub) -> list[dict[str, Any]]:
    with hub.context("daemon") as ctx:
        return run_rules(ctx)


def _state(hub: Hub, name: str, **changes: Any) -> dict[str, Any]:
    """The rule's state, after ``changes`` (how a test moves time along for a rule)."""
    with hub.transaction() as session:
        rule = session.scalar(select(Rule).where(Rule.name == name))
        assert rule is not None
        if changes:
            rule.state = {**rule.state, **changes}
        return dict(rule.state)


# -- pure parts -------------------------------------------------------------------------

def test_matching_and_templates_per_trigger() -> None:
    spec = RuleSpec.model_validate({"trigger": {"type": "feed", "url": "https://x.example/f",
                                                "keywords": ["release"]},
                                    "actions": [{"notify": "{{ entry.title }}"}]})
    assert matches(spec, {"title": "Release 2.0", "summary": ""}) is None
    assert matches(spec, {"title": "Hello", "summary": "a new release"}) is None
    assert matches(spec, {"title": "Hello", "summary": "nothing"}) == "no keyword"
    assert render("{{ entry.title }} {{ event.link }}", {"title": "T", "link": "L"}, "r",
                  "feed") == "T L"
    posted = RuleSpec.model_validate({"trigger": {"type": "post_published",
                                                  "accounts": ["sandbox:@demo"]},
                                      "actions": [{"notify": "{{ post.url }}"}]})
    assert matches(posted, {"account": "sandbox:@demo", "text": "x"}) is None
    assert matches(posted, {"account": "sandbox:@other", "text": "x"}) == "account"


def test_cron_ticks_in_the_rule_time_zone() -> None:
    after = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)  # a Monday, 08:30 in Berlin
    tick = next_tick("0 9 * * mon", "Europe/Berlin", after)
    assert tick.astimezone(UTC) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert next_tick("0 9 * * mon", "Europe/Berlin", tick).astimezone(UTC) == datetime(
        2026, 1, 12, 8, 0, tzinfo=UTC)


def test_rss_and_atom_entries_oldest_first() -> None:
    feed = FeedServer.__new__(FeedServer)
    feed.entries = []
    FeedServer.add(feed, "First")
    FeedServer.add(feed, "Second & more")
    rss = parse_feed(FeedServer.xml(feed), "http://x/feed")
    assert [e["title"] for e in rss.entries] == ["First", "Second & more"]
    assert rss.entries[0]["link"] == "https://blog.example/posts/1"
    assert rss.title == "Example blog" and rss.error is None
    atom = parse_feed(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        '<entry><id>urn:1</id><title>Atom entry</title><link href="https://a.example/1"/>'
        "<updated>2026-01-02T00:00:00Z</updated></entry></feed>", "http://x/atom")
    assert [(e["id"], e["link"], e["published"]) for e in atom.entries] == [
        ("urn:1", "https://a.example/1", "2026-01-02T00:00:00+00:00")]
    assert parse_feed("this is not xml at all <", "http://x").error is not None


def test_malformed_rules_are_refused_with_file_and_line_and_nothing_applied(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    good = _manifest("good", "  trigger:\n    type: cron\n    schedule: '0 9 * * mon'\n"
                             "  actions:\n    - notify: weekly\n")
    bad_cron = _manifest("bad-cron", "  trigger:\n    type: cron\n    schedule: '61 * * * *'\n"
                                     "  actions:\n    - notify: hi\n")
    item_action = _manifest("reply-to-nothing",
                            "  trigger:\n    type: post_published\n"
                            "  actions:\n    - reply: thanks\n")
    bad_draft = _manifest("bad-draft", "  trigger:\n    type: feed\n"
                                       "    url: https://blog.example/feed\n  actions:\n"
                                       "    - draft:\n        text: '{{ entry.nope }}'\n"
                                       "        accounts: [sandbox:@demo]\n")
    result = _apply(dbcli, tmp_path, "---\n".join([good, bad_cron, item_action, bad_draft]))
    assert result.exit_code != 0
    text = result.stdout + result.stderr
    assert "rules.yaml:19:" in text and "bad cron schedule '61 * * * *'" in text
    assert "rules.yaml:" in text and "acts on an inbox item" in text
    assert "template does not render" in text
    with hub.transaction() as session:
        assert session.scalar(select(func.count(Rule.id))) == 0


# -- feed -> draft -> next free slot -----------------------------------------------------

FEED_RULE = """  trigger:
    type: feed
    url: {url}
    every: 5
  actions:
    - draft:
        text: "New on the blog: {{{{ entry.title }}}} {{{{ entry.link }}}}"
        accounts: [sandbox:@demo]
        tags: [blog]
    - schedule: next_slot
"""


def test_a_new_feed_entry_becomes_a_draft_in_the_next_free_slot_once(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path, sandbox: SandboxServer,
        account: int, feed: FeedServer) -> None:
    feed.add("Old news")  # there before the rule: never drafted
    with hub.context("cli") as ctx:
        add_slot(ctx, "sandbox:@demo", weekday="mon", time="09:00", zone="UTC")
    manifest = _manifest("blog-to-post", FEED_RULE.format(url=feed.url))
    assert _apply(dbcli, tmp_path, manifest).exit_code == 0
    assert _run(hub) == []  # the first fetch learns what is there
    link = feed.add("Rules are here")
    assert _run(hub) == []  # fetched five seconds apart at most
    with hub.context("daemon") as ctx:
        assert feeds_due(ctx) == []  # the daemon's job reads due feeds before its transaction
    _state(hub, "blog-to-post", fetched_at="2000-01-01T00:00:00+00:00")
    with hub.context("daemon") as ctx:
        [(url, etag, _)] = feeds_due(ctx)
    assert url == feed.url and etag
    [ran] = _run(hub)
    assert ran["outcome"] == "done" and ran["trigger"] == "feed"
    _state(hub, "blog-to-post", fetched_at="2000-01-01T00:00:00+00:00")
    assert _run(hub) == []  # the same entry never again (and the feed said 304)
    assert feed.not_modified == 1
    with hub.transaction() as session:
        [post] = session.scalars(select(Post)).all()
        assert post.body == f"New on the blog: Rules are here {link}"
        assert post.tags == ["rule-draft", "blog"] and post.created_by == "daemon"
        assert post.status == "scheduled"
        [variant] = post.variants
        assert variant.scheduled_at is not None
        at = variant.scheduled_at.astimezone(UTC)
        assert (at.weekday(), at.hour, at.minute) == (0, 9, 0)  # the Monday 09:00 slot
        audited = session.scalars(select(AuditEvent).where(
            AuditEvent.record_kind == "Rule", AuditEvent.action == "acted")).all()
        assert [e.change["action"] for e in audited] == ["draft", "schedule"]
        assert all(e.channel == "daemon" and e.change["rule"] == "blog-to-post"
                   for e in audited)
        created = session.scalar(select(AuditEvent).where(
            AuditEvent.record_kind == "Post", AuditEvent.action == "create"))
        assert created is not None and created.channel == "daemon"


def test_a_draft_waits_for_approval_when_approvals_are_required(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path, sandbox: SandboxServer,
        account: int, feed: FeedServer) -> None:
    assert dbcli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    with hub.context("cli") as ctx:
        add_slot(ctx, "sandbox:@demo", weekday="mon", time="09:00", zone="UTC")
    rule = FEED_RULE.replace("        tags: [blog]\n", "        ai: true\n")
    assert _apply(dbcli, tmp_path, _manifest("ai-blog", rule.format(url=feed.url))
                  ).exit_code == 0
    _run(hub)
    feed.add("Approvals apply to robots too")
    _state(hub, "ai-blog", fetched_at="2000-01-01T00:00:00+00:00")
    [ran] = _run(hub)
    assert ran["outcome"] == "done"
    draft, scheduled = (a["result"] for a in ran["detail"]["actions"])
    assert "needs approval" in scheduled
    with hub.transaction() as session:
        post = session.scalar(select(Post).where(Post.name == draft))
        assert post is not None and post.status == "draft"
        assert post.variants[0].options["generated"]["provider"] == "offline"


# -- post published, metric threshold, cron ----------------------------------------------

def test_published_posts_and_a_metric_threshold_fire_once_each(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path, sandbox: SandboxServer,
        account: int, receiver: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = receiver
    rules = "---\n".join([
        _manifest("announce", f"  trigger:\n    type: post_published\n"
                              f"  actions:\n    - webhook: {url}\n"
                              f"    - notify: '{{{{ post.post }}}} is out: {{{{ post.url }}}}'\n"),
        _manifest("liked", "  trigger:\n    type: metric_threshold\n    metric: likes\n"
                           "    value: 100\n  actions:\n"
                           "    - notify: '{{ metric.post }} passed {{ metric.threshold }}'\n"),
    ])
    assert _apply(dbcli, tmp_path, rules).exit_code == 0
    assert _run(hub) == []  # the metric rule's first look: nothing over yet
    delivery_id = schedule(hub, "launch", datetime.now(UTC) - timedelta(seconds=1))
    assert run(make_engine(hub), hub, [delivery_id])
    [ran] = _run(hub)
    assert (ran["rule"], ran["subject"], ran["outcome"]) == (
        "announce", f"delivery:{delivery_id}", "done")
    assert ran["detail"]["actions"][1]["value"].startswith("launch is out: http")
    assert [r["body"]["data"]["event"]["post"] for r in received] == ["launch"]
    with hub.transaction() as session:
        now = datetime.now(UTC)
        session.add(MetricLatest(delivery_id=delivery_id, first_captured_at=now,
                                 captured_at=now, likes=150))
    [crossed] = _run(hub)
    assert (crossed["rule"], crossed["outcome"]) == ("liked", "done")
    assert crossed["detail"]["actions"][0]["value"] == "launch passed 100"
    assert _run(hub) == []  # once per post
    with hub.context("cli") as ctx:
        replayed = replay_rule(ctx, "announce")
    assert [r["would"] for r in replayed] == ["act"]
    with hub.transaction() as session:
        assert session.scalar(select(func.count(RuleRun.id))) == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_cron_rule_ticks_once_per_instant_dry_run_first(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    rule = _manifest("every-minute", "  dry_run: true\n  trigger:\n    type: cron\n"
                                     "    schedule: '* * * * *'\n    timezone: UTC\n"
                                     "  actions:\n    - notify: 'tick {{ tick.at }}'\n")
    assert _apply(dbcli, tmp_path, rule).exit_code == 0
    _run(hub)  # within the minute it was applied there may be nothing yet
    _state(hub, "every-minute", last_tick=(datetime.now(UTC) - timedelta(minutes=5))
           .isoformat())
    [ran] = _run(hub)
    assert ran["outcome"] == "dry_run" and ran["subject"].startswith("cron:")
    assert _run(hub) == []  # the missed minutes are not made up
    with hub.context("cli") as ctx:
        upcoming = replay_rule(ctx, "every-minute", limit=3)
    assert len(upcoming) == 3 and all(r["would"] == "act" for r in upcoming)
    out = dbcli("rules", "test", "every-minute", "-n", "2")
    assert out.exit_code == 0 and "cron:" in out.stdout


def test_rules_test_reads_the_feed_and_remembers_nothing(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path, feed: FeedServer) -> None:
    feed.add("Release notes")
    feed.add("Hiring")
    rule = _manifest("releases", f"  trigger:\n    type: feed\n    url: {feed.url}\n"
                                 "    keywords: [release]\n  actions:\n"
                                 "    - notify: '{{ entry.title }}'\n")
    assert _apply(dbcli, tmp_path, rule).exit_code == 0
    out = dbcli("rules", "test", "releases", "--json")
    assert out.exit_code == 0
    assert [(r["text"], r["would"]) for r in out.json()] == [("Release notes", "act"),
                                                            ("Hiring", "no match")]
    assert _state(hub, "releases").keys() == {"since"}
    feed.stop()
    gone = dbcli("rules", "test", "releases")
    assert gone.exit_code != 0 and "could not fetch the feed" in gone.stdout + gone.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rules_of_every_trigger_export_and_apply_back_unchanged(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path, feed: FeedServer) -> None:
    rules = "---\n".join([
        _manifest("blog-to-post", FEED_RULE.format(url=feed.url)),
        _manifest("weekly", "  trigger:\n    type: cron\n    schedule: '0 9 * * mon'\n"
                            "    timezone: Europe/Berlin\n  actions:\n"
                            "    - draft:\n        text: 'Week {{ tick.date }}'\n"
                            "        accounts: [sandbox:@demo]\n        ai: true\n"),
        _manifest("followers", "  trigger:\n    type: metric_threshold\n    subject: account\n"
                               "    metric: followers\n    value: 1000\n  actions:\n"
                               "    - notify: '{{ metric.account }} has {{ metric.value }}'\n"),
    ])
    assert _apply(dbcli, tmp_path, rules).exit_code == 0
    exported = dbcli("export", "--kind", "rules")
    assert exported.exit_code == 0
    assert "schedule: next_slot" in exported.stdout and "ai: true" in exported.stdout
    again = tmp_path / "exported.yaml"
    again.write_text(exported.stdout)
    applied = dbcli("apply", "-f", str(again), "--json")
    assert applied.exit_code == 0
    assert {c["action"] for c in applied.json()["changes"]} == {"unchanged"}
    with hub.context("cli") as ctx:
        assert [r["would"] for r in replay_rule(ctx, "weekly", limit=2)] == ["act", "act"]
    with hub.transaction() as session:
        assert session.scalar(select(func.count(Post.id))) == 0  # a replay drafts nothing
