"""Benchmark: analytics over 1,000,000 metric snapshots, 20,000 posts, 20 accounts.

Builds the data the way a user would get it: ``analytics import`` of a history file
with one row per post (timed: the import rate, goal ≥ 20,000 rows/s; then the same
file again, which changes nothing), then the rest of the snapshots inserted in bulk,
as if the daemon had captured each post many times. Then it times, in-process
through the same use cases the CLI calls (plus JSON encoding of the answer):

- ``analytics overview`` and ``analytics top --by likes|engagement`` for 90 days
  (goal p50 < 200 ms each), and
- the rollups: ``compare --by account --period day`` and ``--by tag --period week``
  over the whole year.

As a baseline in the same run it times the "latest snapshot per post" read the
overview would need without ``metric_latest``: a ``MAX(captured_at)`` per post over
the snapshots, joined back.

    .venv/bin/python bench/analytics.py [--snapshots N] [--posts N] [--accounts N]
                                        [--database-url sqlite|pg] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_common import Bench

PLATFORMS = ("sandbox", "bluesky", "mastodon", "x", "linkedin")
GOAL_P50_MS = 200.0
GOAL_IMPORT_ROWS_S = 20_000.0


def write_history(path: Path, accounts: list[str], posts: int, now: datetime,
                  rng: random.Random) -> None:
    """One CSV row per post over the last 365 days; Bluesky and Mastodon rows have no
    impressions or clicks (absent), like the real networks."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account", "published_at", "text", "url", "impressions", "likes",
                         "replies", "reposts", "quotes", "clicks", "saves"])
        for i in range(posts):
            account = accounts[i % len(accounts)]
            at = now - timedelta(seconds=rng.randrange(365 * 86_400))
            absent = account.startswith(("bluesky", "mastodon"))
            impressions = rng.randrange(100, 50_000)
            writer.writerow([account, at.isoformat(timespec="seconds"),
                             f"Bench post {i}: something about the shop #tag{i % 7}",
                             f"https://example.com/{account.split(':')[0]}/{i}",
                             "" if absent else impressions, impressions // rng.randrange(8, 40),
                             rng.randrange(0, 50), rng.randrange(0, 80), rng.randrange(0, 10),
                             "" if absent else rng.randrange(0, 300), rng.randrange(0, 20)])


def add_snapshots(bench: Bench, total: int, rng: random.Random) -> int:
    """Insert snapshots until there are ``total`` (each post gets the same share),
    captured before the import's own, so ``metric_latest`` stays the newest."""
    from sqlalchemy import func, insert, select

    from socialhub.db.models import Delivery, MetricSnapshot

    with bench.hub.transaction() as session:
        have = session.scalar(select(func.count()).select_from(MetricSnapshot)) or 0
        deliveries = list(session.execute(select(Delivery.id, Delivery.published_at)))
    per_post = max(0, (total - have) // max(1, len(deliveries)))
    batch: list[dict[str, Any]] = []
    added = 0
    for d_id, published_at in deliveries:
        assert published_at is not None
        for k in range(per_post):
            batch.append({"delivery_id": d_id,
                          "captured_at": published_at + timedelta(hours=k + 1),
                          "impressions": rng.randrange(100, 50_000), "likes": k * 3,
                          "replies": k, "reposts": k, "quotes": 0, "clicks": None,
                          "saves": None, "raw": {}})
        if len(batch) >= 20_000:
            added += _flush(bench, insert(MetricSnapshot), batch)
    added += _flush(bench, insert(MetricSnapshot), batch)
    return have + added


def tag_posts(bench: Bench) -> None:
    """Give every post one of seven tags (imports carry none), for the tag rollup."""
    from sqlalchemy import select, update

    from socialhub.db.models import Post

    with bench.hub.transaction() as session:
        ids = list(session.scalars(select(Post.id)))
        session.execute(update(Post), [{"id": i, "tags": [f"tag{i % 7}"]} for i in ids])


def _flush(bench: Bench, statement: Any, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    with bench.hub.transaction() as session:
        session.execute(statement, batch)
    n = len(batch)
    batch.clear()
    return n


def children_cpu() -> float:
    """CPU-seconds (user + system) of this process's finished child processes."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Any, runs: int) -> tuple[float, float, Any]:
    """p50 and p95 in ms of ``runs`` calls of ``fn`` (after one warm-up call)."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, result


def use_case(bench: Bench, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a use case the way the CLI does, and encode its answer as --json would."""
    from socialhub.cli.common import _json_default

    with bench.hub.context("cli") as ctx:
        data = fn(ctx, *args, **kwargs)
    return json.dumps(data, default=_json_default)


def baseline_latest(bench: Bench, since: datetime) -> int:
    """The latest-snapshot-per-post read without ``metric_latest``."""
    from sqlalchemy import func, select

    from socialhub.db.models import Delivery, MetricSnapshot

    last = (select(MetricSnapshot.delivery_id, func.max(MetricSnapshot.captured_at).label("at"))
            .group_by(MetricSnapshot.delivery_id).subquery())
    with bench.hub.transaction() as session:
        rows = session.execute(
            select(func.count(), func.sum(MetricSnapshot.likes))
            .select_from(MetricSnapshot)
            .join(last, (last.c.delivery_id == MetricSnapshot.delivery_id)
                  & (last.c.at == MetricSnapshot.captured_at))
            .join(Delivery, Delivery.id == MetricSnapshot.delivery_id)
            .where(Delivery.published_at >= since)).one()
    return int(rows[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snapshots", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--database-url", default="sqlite", help="sqlite, pg or a URL")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    bench = Bench(args.database_url, extra_env={"SOCIALHUB_TIMEZONE": "UTC"})
    try:
        run(bench, args)
    finally:
        bench.close()


def run(bench: Bench, args: argparse.Namespace) -> None:
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.analytics import reports
    from socialhub.services.analytics.filters import Filters
    from socialhub.services.analytics.importing import import_history

    rng = random.Random(14)
    now = datetime.now(UTC)
    refs = []
    with bench.hub.context("cli") as ctx:
        for i in range(args.accounts):
            platform = PLATFORMS[i % len(PLATFORMS)]
            account = add_account(ctx, platform=platform, handle=f"bench{i}")
            refs.append(account.ref)
    history = bench.home / "history.csv"
    write_history(history, refs, args.posts, now, rng)

    started, cpu, child_cpu = time.perf_counter(), time.process_time(), children_cpu()
    with bench.hub.context("cli") as ctx:
        summary = import_history(ctx, history)
    import_s, import_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    import_child_cpu_s = children_cpu() - child_cpu  # the language-detecting process
    started, cpu = time.perf_counter(), time.process_time()
    with bench.hub.context("cli") as ctx:
        again = import_history(ctx, history)
    reimport_s, reimport_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    assert summary.imported == args.posts and again.unchanged == args.posts

    tag_posts(bench)
    started = time.perf_counter()
    snapshots = add_snapshots(bench, args.snapshots, rng)
    fill_s = time.perf_counter() - started

    print(f"database={bench.database_url.split(':')[0]} accounts={args.accounts} "
          f"posts={args.posts} snapshots={snapshots} (bulk insert {fill_s:.1f} s)")
    print(f"import_rows={args.posts} import_s={import_s:.2f} "
          f"import_rows_per_s={args.posts / import_s:,.0f} goal>={GOAL_IMPORT_ROWS_S:,.0f} "
          f"(this process's CPU: {import_cpu_s:.2f} s, "
          f"{args.posts / import_cpu_s:,.0f} rows per CPU-second; with the second "
          f"process's {import_child_cpu_s:.2f} s: "
          f"{args.posts / (import_cpu_s + import_child_cpu_s):,.0f})")
    print(f"reimport_unchanged_s={reimport_s:.2f} "
          f"reimport_rows_per_s={args.posts / reimport_s:,.0f} "
          f"(CPU {reimport_cpu_s:.2f} s)")

    last_90 = Filters(since="90d")
    whole = Filters(since="365d")
    cases = [
        ("overview_90d", lambda: use_case(bench, reports.overview, last_90)),
        ("top_likes_90d", lambda: use_case(bench, reports.top, last_90, by="likes")),
        ("top_engagement_90d", lambda: use_case(bench, reports.top, last_90,
                                                by="engagement")),
        ("rollup_account_day_365d", lambda: use_case(bench, reports.compare, whole,
                                                     by="account", period="day")),
        ("rollup_tag_week_365d", lambda: use_case(bench, reports.compare, whole, by="tag",
                                                  period="week")),
    ]
    for name, fn in cases:
        p50, p95, _ = timed(fn, args.runs)
        goal = f" goal_p50<{GOAL_P50_MS:.0f}" if "90d" in name else ""
        print(f"{name}_ms p50={p50:.1f} p95={p95:.1f}{goal}")
    since = now - timedelta(days=90)
    p50, p95, rows = timed(lambda: baseline_latest(bench, since), max(3, args.runs // 3))
    print(f"baseline_latest_from_snapshots_90d_ms p50={p50:.1f} p95={p95:.1f} (posts={rows})")


if __name__ == "__main__":
    main()
