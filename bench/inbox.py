"""Benchmark: sync N inbox items spread over K sandbox accounts (items/s, memory peak).

    python bench/inbox.py --items 50000 --accounts 20
    python bench/inbox.py --items 50000 --accounts 20 --analyser none
    python bench/inbox.py --items 50000 --accounts 20 --database-url pg

Simulated people send the items through the sandbox network (in this process, latency
``--latency-ms``); the sync runs in a child process, as ``socialhub inbox sync`` would
(every account, ``--page-size`` items a call, until caught up), so its peak resident
memory is its own. ``--analyser offline`` (the default) includes sentiment, flags and
language for every item; ``none`` measures fetching and storing alone. A second sync
then checks that nothing is stored twice. Then ``--rules`` workflow rules (inbox
triggers of four shapes: keywords, sentiment, platform, author, some with conditions;
all ``dry_run``, so a match writes its ``rule_runs`` row and audit row, nothing else) are evaluated
against every stored item in another child process, exactly as the daemon's rules job
does (``run_rules``, 500 items a rule per run, until every rule has read everything).
The last two lines are the results:
``items=… stored=… duplicates=… seconds=… items_per_s=… peak_rss_mb=…`` and
``rules=… items=… evaluations=… matched=… seconds=… evaluations_per_s=… peak_rss_mb=…``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_common import Bench

HERE = Path(__file__).resolve()


class _NoAnalysis:
    """Stores items unanalysed: the cost of fetching and storing alone."""

    name = "none"

    def analyse(self, text: str) -> object:
        from socialhub.ai.sentiment import Analysis

        return Analysis(sentiment="neutral", score=0.0)


def child(analyser: str) -> int:
    """Sync every account of the database in the environment; print the figures as JSON."""
    from socialhub.services.hub import Hub
    from socialhub.services.inbox.sync import run_sync
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    started = time.perf_counter()
    reports = run_sync(hub, None, analyser=_NoAnalysis() if analyser == "none" else None)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = round(int(line.split()[1]) / 1024, 1)
    print(json.dumps({"new": sum(r.new for r in reports), "seconds": seconds,
                      "pages": sum(r.pages for r in reports), "peak_rss_mb": peak,
                      "errors": [r.error for r in reports if r.error]}))
    hub.dispose()
    return 0


#: Keywords the benchmark's rules look for: a few the simulated people write (about one
#: item in twenty each), most of them not (as most of a real inbox matches no rule).
KEYWORDS = ["tracking", "refund", "invoice", "broken", "cancel", "discount", "warranty",
            "sizes", "password", "coupon", "nobody", "login", "receipt", "upgrade",
            "billing", "voucher"]
#: Simulated people some rules single out (``authors``).
AUTHORS = ["gus.people", "ben.people", "chloe.people", "fatima.people", "dieter.people"]


#: Keywords nobody in the sandbox writes (``--quiet-rules``: the cost of looking alone).
ABSENT = ["refund", "invoice", "cancel", "discount", "warranty", "password", "coupon",
          "login", "receipt", "upgrade", "billing", "voucher"]


def rule_manifests(count: int, *, quiet: bool = False) -> str:
    """``count`` dry-run inbox rules of four shapes: keywords; keywords and a
    sentiment; keywords, a platform and a language condition; an author and a kind.
    ``quiet``: keyword rules only, with keywords no item has."""
    docs = []
    words = ABSENT if quiet else KEYWORDS
    for n in range(count):
        pair = f"[{words[n % len(words)]}, {words[(n * 7 + 3) % len(words)]}]"
        shape = n % 3 if quiet else n % 4
        trigger = ["    type: inbox"]
        conditions = ""
        if shape == 3:
            trigger.append(f"    authors: [{AUTHORS[n % len(AUTHORS)]}]")
            conditions = "  conditions:\n    kind: message\n"
        else:
            trigger.append(f"    keywords: {pair}")
        if shape == 1:
            trigger.append("    sentiment: negative")
        if shape == 2:
            trigger.append("    platforms: [sandbox]")
            conditions = "  conditions:\n    language: en\n"
        docs.append(f"apiVersion: socialhub/v1\nkind: Rule\nmetadata:\n  name: bench-{n}\n"
                    f"spec:\n  dry_run: true\n  trigger:\n" + "\n".join(trigger) + "\n"
                    + conditions + "  actions:\n    - reply: 'Thanks {{ item.author }}!'\n"
                    "    - tag: bench\n  rate_limit:\n    per_hour: 10000\n")
    return "---\n".join(docs)


def rules_child(count: int, quiet: bool = False) -> int:
    """Apply ``count`` rules reading the whole inbox; run them until done; print JSON."""
    from sqlalchemy import func, select, update

    from socialhub.db.models import InboxItem, Rule, RuleRun
    from socialhub.services.clock import now_utc
    from socialhub.services.hub import Hub
    from socialhub.services.manifests.apply import apply_manifests
    from socialhub.services.manifests.documents import parse_manifests
    from socialhub.services.rules.engine import run_rules
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    manifests, issues = parse_manifests([("bench-rules.yaml", rule_manifests(count, quiet=quiet))])
    assert not issues, issues[:3]
    with hub.context("cli") as ctx:
        apply_manifests(ctx, manifests, now=now_utc())
        ctx.session.execute(update(Rule).values(last_item_id=0))  # read the whole inbox
        newest = ctx.session.scalar(select(func.max(InboxItem.id))) or 0
        items = ctx.session.scalar(select(func.count(InboxItem.id))) or 0
    started = time.perf_counter()
    runs = matched = 0
    while True:
        with hub.context("daemon") as ctx:
            matched += len(run_rules(ctx))
            behind = ctx.session.scalar(select(func.count(Rule.id))
                                        .where(Rule.last_item_id < newest))
        runs += 1
        if not behind:
            break
    seconds = time.perf_counter() - started
    with hub.transaction() as session:
        recorded = session.scalar(select(func.count(RuleRun.id))) or 0
    peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = round(int(line.split()[1]) / 1024, 1)
    print(json.dumps({"rules": count, "items": items, "evaluations": count * items,
                      "matched": matched, "recorded": recorded, "runs": runs,
                      "seconds": seconds, "peak_rss_mb": peak}))
    hub.dispose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--analyser", choices=("offline", "none"), default="offline")
    parser.add_argument("--database-url", default="sqlite",
                        help="sqlite (default), pg (throwaway cluster) or a SQLAlchemy URL")
    parser.add_argument("--unique-texts", action="store_true",
                        help="make every text unique (the simulated people repeat a few dozen "
                        "texts, which the language cache absorbs): the analysis's worst case")
    parser.add_argument("--rules", type=int, default=50,
                        help="workflow rules to evaluate against the items (0: none)")
    parser.add_argument("--quiet-rules", action="store_true",
                        help="rules whose keywords no item has: the cost of evaluating alone, "
                        "without the dry-run rows a match writes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rules-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.analyser)
    if args.rules_child:
        return rules_child(args.rules_child, args.quiet_rules)

    from sqlalchemy import func, select

    from socialhub.db.models import InboxItem
    from socialhub.sandbox_network.server import SandboxServer

    sandbox = SandboxServer(latency_ms=args.latency_ms).start()
    pages = args.items // max(args.accounts, 1) // args.page_size + 2
    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_INBOX_PAGE_SIZE": str(args.page_size),
        "SOCIALHUB_INBOX_MAX_PAGES": str(min(pages, 1000))})
    try:
        bench.connect_accounts(sandbox.url, args.accounts)
        t = time.monotonic()
        sandbox.world.simulate_inbox(args.items, seed=1)
        if args.unique_texts:
            for post in sandbox.world.posts.values():
                if post.simulated:
                    post.text += f" (ref {post.id} {post.id * 7919 % 100_003})"
        print(f"simulated {args.items} items in {time.monotonic() - t:.1f} s", file=sys.stderr)

        def sync() -> dict[str, object]:
            done = subprocess.run([sys.executable, str(HERE), "--child", "--analyser",
                                   args.analyser], env=bench.env, capture_output=True,
                                  text=True, check=True)
            figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
            return figures

        first = sync()
        again = sync()
        with bench.hub.transaction() as session:
            stored = session.scalar(select(func.count(InboxItem.id))) or 0
        seconds = float(first["seconds"])  # type: ignore[arg-type]
        print(f"database={bench.database_url.split(':')[0]} accounts={args.accounts} "
              f"page_size={args.page_size} analyser={args.analyser} "
              f"latency_ms={args.latency_ms} unique_texts={args.unique_texts} "
              f"pages={first['pages']} "
              f"errors={len(first['errors'])} second_sync_new={again['new']} "  # type: ignore[arg-type]
              f"second_sync_s={float(again['seconds']):.2f}")  # type: ignore[arg-type]
        reported = int(first["new"]) + int(again["new"])  # type: ignore[call-overload]
        print(f"items={args.items} stored={stored} duplicates={reported - stored} "
              f"seconds={seconds:.2f} items_per_s={int(first['new']) / seconds:.0f} "  # type: ignore[call-overload]
              f"peak_rss_mb={first['peak_rss_mb']}")
        if args.rules:
            done = subprocess.run([sys.executable, str(HERE), "--rules-child", str(args.rules),
                                   *(["--quiet-rules"] if args.quiet_rules else [])],
                                  env=bench.env, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"rules={r['rules']} items={r['items']} evaluations={r['evaluations']} "
                  f"matched={r['matched']} recorded={r['recorded']} runs={r['runs']} "
                  f"seconds={r['seconds']:.2f} "
                  f"evaluations_per_s={r['evaluations'] / r['seconds']:.0f} "
                  f"peak_rss_mb={r['peak_rss_mb']}")
    finally:
        bench.close()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
