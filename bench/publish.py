"""Benchmark: N deliveries due at once, published by K real daemons through the sandbox.

    python bench/publish.py --posts 10000 --latency-ms 50
    python bench/publish.py --posts 10000 --latency-ms 50 --database-url pg --daemons 2
    python bench/publish.py --posts 3000 --database-url pg --scale-out 3

``--database-url pg`` starts a throwaway PostgreSQL cluster from the machine's
binaries; ``sqlite`` (the default) uses a file. The sandbox runs in its own
process (``socialhub sandbox serve``), so it never shares a daemon's interpreter.
The anchor is the network-bound ideal,
``ideal_per_s = concurrency / latency`` (64 sends in flight, each 50 ms: 1,280/s).
The last line is the result against issue #18's goals:
``throughput_per_s=… ideal_per_s=… ratio=… daemon_cpu_ms_per_delivery=… load=…`` and
each goal ``met`` or ``MISSED`` (ratio >= 0.7, last post out < 15 s, p99 lateness
< 15 s, first post out < 0.2 s late, 0 duplicated and 0 lost). Lateness =
published_at - due_at; throughput = published / seconds from the due instant to
the last publication; CPU seconds are the daemons' own (``/proc/<pid>/stat``),
counted from the due instant. ``--scale-out PAIRS`` runs alternated pairs of one and
two daemons (each run on a fresh database) and ends with the pairs' throughput
ratios, their median and issue #18's goal (>= 1.7).

On PostgreSQL the bench runs ``ANALYZE`` after making the posts due: it inserts and
publishes within seconds, before autovacuum (a minute's nap) would have seen the new
rows, and a server whose schedule was written ahead has statistics that know them.
``--stale-statistics`` skips it (the planner then guesses from an empty table's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_common import (
    Bench,
    SandboxProcess,
    cpu_seconds,
    load_average,
    percentile,
    sandbox_counts,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--database-url", default="sqlite",
                        help="sqlite (default), pg (throwaway cluster) or a SQLAlchemy URL")
    parser.add_argument("--daemons", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64,
                        help="daemon.concurrency_per_platform for each daemon")
    parser.add_argument("--per-account", type=int, default=4)
    parser.add_argument("--lead-s", type=float, default=3.0,
                        help="seconds between all daemons being ready and the due instant")
    parser.add_argument("--timeout-s", type=float, default=300.0)
    parser.add_argument("--scale-out", type=int, default=0, metavar="PAIRS",
                        help="alternate PAIRS runs of 1 and 2 daemons and print the ratio "
                             "(use with --database-url pg)")
    parser.add_argument("--stale-statistics", action="store_true",
                        help="PostgreSQL: publish without ANALYZE after the posts are made due")
    args = parser.parse_args()

    if args.scale_out:
        return scale_out(args)
    run_once(args, args.daemons)
    return 0


def scale_out(args: argparse.Namespace) -> int:
    """Alternated pairs of 1 and 2 daemons (which one runs first alternates): prints each
    pair's throughput ratio and the median against issue #18's goal of 1.7."""
    ratios = []
    for pair in range(args.scale_out):
        order = (1, 2) if pair % 2 == 0 else (2, 1)
        runs = {n: run_once(args, n) for n in order}
        ratios.append(runs[2] / runs[1] if runs[1] else float("nan"))
        print(f"pair={pair + 1} one_daemon_per_s={runs[1]:.1f} two_daemons_per_s={runs[2]:.1f} "
              f"ratio={ratios[-1]:.2f}", flush=True)
    median = statistics.median(ratios)
    print(f"scale_out pairs={' '.join(f'{r:.2f}' for r in ratios)} median_ratio={median:.2f} "
          f"load={load_average()!r} ratio>=1.7:{'met' if median >= 1.7 else 'MISSED'}")
    return 0


def run_once(args: argparse.Namespace, daemons: int) -> float:
    """One run: insert, start ``daemons`` daemons, make everything due, wait, print the
    figures; the throughput (published per second from the due instant)."""
    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_PLATFORM": str(args.concurrency),
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_ACCOUNT": str(args.per_account),
        "SOCIALHUB_DAEMON_POLL_INTERVAL_S": "1"})
    # The sandbox runs in its own process: in the bench's interpreter its threads would
    # compete with the progress polling for one GIL and slow the network down.
    sandbox = SandboxProcess("--latency-ms", str(args.latency_ms), env=bench.env)
    ideal = min(args.concurrency, args.accounts * args.per_account) / (args.latency_ms / 1000)
    try:
        load_before = load_average()
        accounts = bench.connect_accounts(sandbox.url, args.accounts)
        far = datetime.now(UTC) + timedelta(days=1)  # parked until the daemons are up
        t = time.monotonic()
        bench.insert_deliveries(accounts, args.posts, far)
        print(f"inserted {args.posts} deliveries in {time.monotonic() - t:.1f} s",
              file=sys.stderr)
        for i in range(daemons):
            bench.start_daemon(f"daemon{i}")
        bench.wait_ready(daemons)
        due = datetime.now(UTC) + timedelta(seconds=args.lead_s)
        _move_due(bench, due, analyze=not args.stale_statistics)
        pids = [p.pid for p in bench.daemons]
        cpu0 = [cpu_seconds(pid) for pid in (*pids, sandbox.pid)]
        db_cpu0 = bench.database_cpu_s()
        deadline = time.monotonic() + args.lead_s + args.timeout_s
        while time.monotonic() < deadline:
            counts, _ = bench.progress()
            done = counts["published"] + counts["dead"]
            print(f"\r{dict(counts)}", end="", file=sys.stderr)
            if done >= args.posts:
                break
            time.sleep(0.5)
        print(file=sys.stderr)
        # CPU from the moment the posts were made due (the daemons were idle before).
        cpu = [cpu_seconds(pid) - c for pid, c in zip((*pids, sandbox.pid), cpu0, strict=True)]
        db_cpu = bench.database_cpu_s() - db_cpu0
        load_after = load_average()
        counts, last = bench.progress()
        late = bench.lateness()
        received, duplicates, lost = sandbox_counts(sandbox.url, args.posts)
        span = (last - due).total_seconds() if last else float("nan")
        published = counts["published"]
        throughput = published / span if span > 0 else 0.0
        ratio = throughput / ideal
        first = late[0] if late else float("nan")
        p99 = percentile(late, 99)
        worst = late[-1] if late else float("nan")
        daemon_cpu = sum(cpu[:-1])
        print(f"database={bench.database_url.split(':')[0]} daemons={daemons} "
              f"posts={args.posts} latency_ms={args.latency_ms} accounts={args.accounts} "
              f"concurrency={args.concurrency} per_account={args.per_account} "
              f"statistics={_statistics(bench, args)} "
              f"peak_rss_mb={bench.peak_rss_mb()} dead={counts['dead']} received={received} "
              f"daemon_cpu_s={daemon_cpu:.1f} sandbox_cpu_s={cpu[-1]:.1f} "
              f"sandbox_cpu_ms_per_delivery={1000 * cpu[-1] / max(1, published):.2f} "
              f"database_cpu_s={db_cpu:.1f} "
              f"database_cpu_ms_per_delivery={1000 * db_cpu / max(1, published):.2f} "
              f"load_before={load_before!r} load_after={load_after!r}")
        print(f"published={published} duplicates={duplicates} lost={lost} "
              f"first_out_lateness_s={first:.3f} "
              f"lateness_p50_s={percentile(late, 50):.3f} lateness_p99_s={p99:.3f} "
              f"last_out_s={worst:.3f}")
        goals = {
            "ratio>=0.7": ratio >= 0.7, "last_out<15s": worst < 15,
            "p99<15s": p99 < 15, "first<0.2s": first < 0.2,
            "exactly_once": duplicates == 0 and lost == 0 and published == args.posts}
        verdict = " ".join(f"{k}:{'met' if v else 'MISSED'}" for k, v in goals.items())
        print(f"throughput_per_s={throughput:.1f} ideal_per_s={ideal:.1f} "
              f"ratio={ratio:.2f} daemon_cpu_ms_per_delivery="
              f"{1000 * daemon_cpu / max(1, published):.2f} load={load_after!r} {verdict}")
    finally:
        bench.close()
        sandbox.stop()
    return throughput


def _statistics(bench: Bench, args: argparse.Namespace) -> str:
    """How the planner's statistics stood when the posts went due (PostgreSQL only)."""
    if bench.hub.engine.dialect.name != "postgresql":
        return "n/a"
    return "stale" if args.stale_statistics else "fresh"


def _move_due(bench: Bench, due: datetime, *, analyze: bool) -> None:
    """Make every delivery due at ``due`` in one statement (all in the same minute); on
    PostgreSQL refresh the planner's statistics when ``analyze``."""
    from sqlalchemy import update

    from socialhub.db.models import Delivery

    with bench.hub.transaction() as session:
        session.execute(update(Delivery).values(due_at=due, next_attempt_at=due))
    if bench.hub.engine.dialect.name == "postgresql":
        if analyze:
            with bench.hub.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE deliveries")
                conn.commit()
        from socialhub.services.announce import notify_schedule_changed

        with bench.hub.transaction() as session:
            notify_schedule_changed(session)


if __name__ == "__main__":
    raise SystemExit(main())
