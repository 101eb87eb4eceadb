"""Benchmark: sync N inbox items spread over K sandbox accounts (items/s, memory peak).

    python bench/inbox.py --items 50000 --accounts 20
    python bench/inbox.py --items 50000 --accounts 20 --analyser none
    python bench/inbox.py --items 50000 --accounts 20 --database-url pg

Simulated people send the items through the sandbox network (in this process, latency
``--latency-ms``); the sync runs in a child process, as ``socialhub inbox sync`` would
(every account, ``--page-size`` items a call, until caught up), so its peak resident
memory is its own. ``--analyser offline`` (the default) includes sentiment, flags and
language for every item; ``none`` measures fetching and storing alone. A second sync
then checks that nothing is stored twice. The last line is the result:
``items=… stored=… duplicates=… seconds=… items_per_s=… peak_rss_mb=…``.
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
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.analyser)

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
    finally:
        bench.close()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
