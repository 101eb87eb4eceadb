"""Workflow rules: a keyword rule answers an inbox item once (dry run first, then live),
never twice, never the account itself; the rate limit; the loop guard; a bad rule file
refused with file:line and nothing applied; ``rules test`` has no side effects; the
daemon's job end to end with the sandbox."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from socialhub.daemon import jobs
from socialhub.db.models import Account, AuditEvent, Delivery, InboxItem, Rule, RuleRun
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.inbox.sync import run_sync
from socialhub.services.rules.engine import list_rules, replay_rule, rule_log, run_rules
from tests.conftest import CLIResult
from tests.publishing_kit import connect_account, make_engine, run, sandbox_posts
from tests.services.inbox.conftest import simulate

_SEQ = itertools.count(1)


def _rule(name: str = "thanks", *, dry_run: bool = False, per_hour: int = 20,
          reply: str = "Thanks {{ item.author }}!") -> str:
    return f"""apiVersion: socialhub/v1
kind: Rule
metadata:
  name: {name}
spec:
  dry_run: {str(dry_run).lower()}
  trigger:
    type: inbox
    keywords: [thank]
  actions:
    - reply: "{reply}"
    - tag: thanked
  rate_limit:
    per_hour: {per_hour}
"""


def _apply(dbcli: Callable[..., CLIResult], tmp_path: Path, text: str,
           name: str = "rules.yaml") -> CLIResult:
    path = tmp_path / name
    path.write_text(text)
    return dbcli("apply", "-f", str(path))


def _item(hub: Hub, account: int, author: str, text: str) -> int:
    with hub.transaction() as session:
        owner = session.get(Account, account)
        assert owner is not None
        row = InboxItem(org_id=owner.org_id, account_id=account, platform="sandbox",
                        remote_id=f"remote-{next(_SEQ)}", kind="comment",
                        author_handle=author, text=text, context={},
                        received_at=datetime.now(UTC), flags=[])
        session.add(row)
        session.flush()
        return row.id


def _runs(hub: Hub) -> list[tuple[str, str, bool]]:
    with hub.context("cli") as ctx:
        return [(r["subject"], r["outcome"], r["dry_run"]) for r in rule_log(ctx)][::-1]


def _deliveries(hub: Hub) -> int:
    with hub.transaction() as session:
        return int(session.scalar(select(func.count(Delivery.id))) or 0)


def _run(hub: Hub) -> list[dict[str, object]]:
    with hub.context("daemon") as ctx:
        return run_rules(ctx)


def test_a_keyword_rule_answers_once_dry_run_first_never_twice_never_itself(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path,
        sandbox: SandboxServer, account: int) -> None:
    assert _apply(dbcli, tmp_path, _rule(dry_run=True)).exit_code == 0
    first = _item(hub, account, "fan", "thank you so much")
    _item(hub, account, "other", "unrelated")
    _run(hub)
    assert _runs(hub) == [(f"inbox:{first}", "dry_run", True)]
    assert _deliveries(hub) == 0  # a dry run does nothing
    with hub.context("cli") as ctx:
        [logged] = rule_log(ctx, "thanks")
    assert logged["detail"]["actions"][0] == {"action": "reply", "value": "Thanks fan!"}

    assert _apply(dbcli, tmp_path, _rule()).exit_code == 0  # now live
    second = _item(hub, account, "fan2", "Thanks a lot")
    own = _item(hub, account, "@demo", "thanks from ourselves")
    _run(hub)
    _run(hub)  # never twice
    assert _runs(hub)[1:] == [(f"inbox:{second}", "done", False),
                              (f"inbox:{own}", "skipped", False)]
    assert _deliveries(hub) == 1
    with hub.transaction() as session:
        item = session.get(InboxItem, second)
        assert item is not None and item.context["tags"] == ["thanked"]
        audited = session.scalars(select(AuditEvent).where(
            AuditEvent.record_kind == "Rule", AuditEvent.action.in_(("ran", "acted")))).all()
        assert {e.action for e in audited} == {"ran", "acted"}
        assert all(e.channel == "daemon" and e.change["rule"] == "thanks"
                               for e in audited)


def test_the_rate_limit_holds_back_what_is_over(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path,
        sandbox: SandboxServer, account: int) -> None:
    assert _apply(dbcli, tmp_path, _rule(per_hour=2)).exit_code == 0
    for n in range(4):
        _item(hub, account, f"fan{n}", "thank you")
    _run(hub)
    assert [o for _, o, _ in _runs(hub)] == ["done", "done", "rate_limited", "rate_limited"]
    assert _deliveries(hub) == 2


def test_the_loop_guard_ignores_what_our_own_accounts_write(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path,
        sandbox: SandboxServer, account: int) -> None:
    connect_account(hub, sandbox.url, "second")
    assert _apply(dbcli, tmp_path, _rule()).exit_code == 0
    # The other account's auto-reply reaches this one: answering it would loop forever.
    _item(hub, account, "second", "thanks!")
    _run(hub)
    [(_, outcome, _)] = _runs(hub)
    assert outcome == "skipped"
    with hub.context("cli") as ctx:
        [logged] = rule_log(ctx)
    assert logged["detail"]["reason"].startswith("loop guard")
    assert _deliveries(hub) == 0


def test_a_bad_rule_is_refused_with_file_and_line_and_nothing_applied(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    good = _rule("good")
    bad_trigger = _rule("bad-trigger").replace("type: inbox", "type: telepathy")
    bad_template = _rule("bad-template", reply="Hi {{ item.author ")
    result = _apply(dbcli, tmp_path, "---\n".join([good, bad_trigger, bad_template]))
    assert result.exit_code != 0
    text = result.stdout + result.stderr
    assert "rules.yaml:23:" in text and "unknown trigger 'telepathy'" in text
    assert "rules.yaml:41:" in text and "template does not render" in text
    lint = dbcli("lint", str(tmp_path / "rules.yaml"))
    assert lint.exit_code != 0 and "unknown trigger" in lint.stdout + lint.stderr
    with hub.transaction() as session:
        assert session.scalar(select(func.count(Rule.id))) == 0


def test_rules_test_replays_the_inbox_without_side_effects(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path,
        sandbox: SandboxServer, account: int) -> None:
    a = _item(hub, account, "fan", "thank you")
    b = _item(hub, account, "grump", "meh")
    assert _apply(dbcli, tmp_path, _rule()).exit_code == 0
    with hub.context("cli") as ctx:
        rows = replay_rule(ctx, "thanks")
        assert [r["name"] for r in list_rules(ctx)] == ["thanks"]
    assert [(r["item_id"], r["would"]) for r in rows] == [(a, "act"), (b, "no match")]
    assert rows[0]["actions"][0]["value"] == "Thanks fan!"
    out = dbcli("rules", "test", "thanks", "--json")
    assert out.exit_code == 0 and out.json()[0]["would"] == "act"
    with hub.transaction() as session:
        assert session.scalar(select(func.count(RuleRun.id))) == 0
        item = session.get(InboxItem, a)
        assert item is not None and not item.read and "tags" not in item.context
    assert _deliveries(hub) == 0
    # The rule was applied after those items: it answers only what arrives next.
    _run(hub)
    assert _runs(hub) == []
    assert dbcli("rules", "log", "--json").json() == []


def test_the_daemon_job_answers_through_the_sandbox(
        hub: Hub, dbcli: Callable[..., CLIResult], tmp_path: Path,
        sandbox: SandboxServer, account: int) -> None:
    every = _rule().replace("    keywords: [thank]\n", "")
    assert _apply(dbcli, tmp_path, every).exit_code == 0
    simulate(sandbox, 1)
    run_sync(hub, [account])
    woken: list[bool] = []
    assert jobs.run_workflow_rules(hub, lambda: woken.append(True)) == {"runs": 1, "done": 1}
    assert woken == [True]
    with hub.transaction() as session:
        ids = list(session.scalars(select(Delivery.id)))
    assert run(make_engine(hub), hub, ids)
    sent = [p["text"] for p in sandbox_posts(sandbox.url)]
    assert len(sent) == 1 and sent[0].startswith("Thanks ")
    assert jobs.run_workflow_rules(hub, lambda: None) == {"runs": 0, "done": 0}
    listed = dbcli("rules", "log")
    assert listed.exit_code == 0 and "thanks inbox:" in listed.stdout and "done" in listed.stdout
