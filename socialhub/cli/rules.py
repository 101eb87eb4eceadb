"""``socialhub rules``: workflow rules that act on the inbox, published posts, metrics,
a schedule or a feed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out
from socialhub.cli.paging import (
    AllOption,
    CursorOption,
    LimitOption,
    OffsetOption,
    note_more,
    paging,
)

app = typer.Typer(
    help="Workflow rules: when something happens, act (dry-run first).\n\n"
    "Rules are `kind: Rule` manifests (`socialhub apply rules.yaml`); the daemon runs "
    "them. Triggers: inbox, post_published, metric_threshold, cron, feed. Actions: "
    "reply, assign, tag, archive, notify, webhook, draft, schedule. `rules list` shows "
    "them; `rules test RULE` replays recorded events against one without doing "
    "anything; `rules log` shows every execution and its outcome.\n\n"
    "Example: socialhub rules test thank-fans",
    no_args_is_help=True)

RuleArg = Annotated[str, typer.Argument(help="The rule's name (metadata.name).")]


def _actions(actions: list[dict[str, Any]]) -> str:
    return ", ".join(f"{k}" for a in actions for k in a if k in
                     ("reply", "assign", "tag", "archive", "notify", "webhook", "draft",
                      "schedule"))


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List the rules: trigger, actions, dry run, rate limit.

    Example: socialhub rules list --json
    """
    from socialhub.services.rules.engine import list_rules

    with get_hub().context("cli") as ctx:
        rows = list_rules(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no rules yet (see docs/rules.md)")
    for r in rows:
        flags = [] if r["enabled"] else ["disabled"]
        flags += ["dry run"] if r["dry_run"] else []
        trigger = r["trigger"]
        keywords = ",".join(trigger.get("keywords", []))
        what = (trigger.get("schedule") or trigger.get("url")
                or (f"{trigger.get('metric')} ≥ {trigger.get('value')}"
                    if trigger.get("metric") else ""))
        out().print(f"{r['name']}: on {trigger.get('type')}"
                    + (f" {what}" if what else "")
                    + (f" [{keywords}]" if keywords else "")
                    + f" → {_actions(r['actions'])}; ≤{r['per_hour']}/h"
                    + (f" ({', '.join(flags)})" if flags else ""))


@app.command("test")
def test(
    rule: RuleArg,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000,
                                       help="How many of the newest events.")] = 100,
    json_: JsonOption = False,
) -> None:
    """Replay recorded events against RULE, changing nothing.

    The events are its trigger's: the newest inbox items, the newest published
    posts, the posts or accounts over the metric now, the schedule's next
    instants, or the feed's entries (fetched now, nothing remembered).

    Example: socialhub rules test thank-fans --limit 20
    """
    from socialhub.services.rules.engine import replay_rule

    with get_hub().context("cli") as ctx:
        rows = replay_rule(ctx, rule, limit=limit)
    if json_:
        emit_json(rows)
        return
    for r in rows:
        what = r["would"]
        if what == "act":
            detail = "; ".join(f"{a['action']}: {_value(a['value'])}" for a in r["actions"])
        else:
            detail = r.get("why", "")
        who = (f"#{r['item_id']} @{r['author']}" if "item_id" in r
               else f"{r['subject']} {r['text']!r}")
        out().print(f"{who}: {what} — {detail}")
    acting = sum(1 for r in rows if r["would"] == "act")
    info(f"{acting} of {len(rows)} event(s) would set the rule off (nothing was done)")


def _value(value: Any) -> str:
    if isinstance(value, dict):  # a draft: its text, and for whom
        return f"{value['text']!r} for {', '.join(value['accounts'])}" + (
            " (AI)" if value.get("ai") else "")
    return str(value)


@app.command("log")
def log(
    rule: Annotated[str | None, typer.Argument(help="Only this rule.")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """Every execution of the rules, newest first, with its outcome.

    Shows 50 at a time unless --limit N or --all (--json pages the same way); the
    next page with --cursor C (the note on stderr gives it).

    Outcomes: done, dry_run, rate_limited, skipped (the account itself, the loop
    guard), failed.

    Example: socialhub rules log thank-fans --json
    """
    from socialhub.services.paging import RULE_RUNS, with_total
    from socialhub.services.rules.engine import count_rule_log, rule_log_page

    win = paging(limit, offset, all_, cursor, RULE_RUNS)
    with get_hub().context("cli") as ctx:
        page = with_total(rule_log_page(ctx, win, rule), count_rule_log(ctx, rule))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "executions")
        return
    if not rows:
        info("no rule has run yet" if not page.total else "no executions on this page")
    for r in rows:
        detail = r["detail"]
        why = detail.get("reason") or detail.get("error") or ", ".join(
            a["action"] for a in detail.get("actions", []))
        out().print(f"{r['ran_at'][:19]} {r['rule']} {r['subject']}: {r['outcome']}"
                    + (f" — {why}" if why else ""))
    note_more(page, "executions")
