"""Benchmark: N deliveries due at once, published by K real daemons through the sandbox.

    python bench/publish.py --posts 10000 --latency-ms 50
    python bench/publish.py --posts 10000 --latency-ms 50 --database-url pg --daemons 2

``--database-url pg`` starts a throwaway PostgreSQL cluster from the machine's
binaries; ``sqlite`` (the default) uses a file. The last line is the result:
``published=… duplicates=… lost=… lateness_p50_s=… lateness_p99_s=… throughput_per_s=…``
(lateness = published_at - due_at; throughput = published / seconds from the
due instant to the last publication).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_common import Bench, percentile, sandbox_counts


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
    args = parser.parse_args()

    from socialhub.sandbox_network.server import SandboxServer

    sandbox = SandboxServer(latency_ms=args.latency_ms).start()
    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_PLATFORM": str(args.concurrency),
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_ACCOUNT": str(args.per_account),
        "SOCIALHUB_DAEMON_POLL_INTERVAL_S": "1"})
    try:
        accounts = bench.connect_accounts(sandbox.url, args.accounts)
        far = datetime.now(UTC) + timedelta(days=1)  # parked until the daemons are up
        t = time.monotonic()
        bench.insert_deliveries(accounts, args.posts, far)
        print(f"inserted {args.posts} deliveries in {time.monotonic() - t:.1f} s",
              file=sys.stderr)
        for i in range(args.daemons):
            bench.start_daemon(f"daemon{i}")
        bench.wait_ready(args.daemons)
        due = datetime.now(UTC) + timedelta(seconds=args.lead_s)
        _move_due(bench, due)
        deadline = time.monotonic() + args.lead_s + args.timeout_s
        while time.monotonic() < deadline:
            counts, _ = bench.progress()
            done = counts["published"] + counts["dead"]
            print(f"\r{dict(counts)}", end="", file=sys.stderr)
            if done >= args.posts:
                break
            time.sleep(0.5)
        print(file=sys.stderr)
        counts, last = bench.progress()
        late = bench.lateness()
        received, duplicates, lost = sandbox_counts(sandbox.url, args.posts)
        span = (last - due).total_seconds() if last else float("nan")
        print(f"database={bench.database_url.split(':')[0]} daemons={args.daemons} "
              f"latency_ms={args.latency_ms} accounts={args.accounts} "
              f"concurrency={args.concurrency} peak_rss_mb={bench.peak_rss_mb()} "
              f"first_due_lateness_s={late[0] if late else float('nan'):.3f} "
              f"max_lateness_s={late[-1] if late else float('nan'):.3f} "
              f"all_within_60s={bool(late) and late[-1] <= 60} dead={counts['dead']} "
              f"received={received}")
        print(f"published={counts['published']} duplicates={duplicates} lost={lost} "
              f"lateness_p50_s={percentile(late, 50):.3f} "
              f"lateness_p99_s={percentile(late, 99):.3f} "
              f"throughput_per_s={counts['published'] / span if span > 0 else 0:.1f}")
    finally:
        bench.close()
        sandbox.stop()
    return 0


def _move_due(bench: Bench, due: datetime) -> None:
    """Make every delivery due at ``due`` in one statement (all in the same minute)."""
    from sqlalchemy import update

    from socialhub.db.models import Delivery

    with bench.hub.transaction() as session:
        session.execute(update(Delivery).values(due_at=due, next_attempt_at=due))
    if bench.hub.engine.dialect.name == "postgresql":
        from socialhub.services.announce import notify_schedule_changed

        with bench.hub.transaction() as session:
            notify_schedule_changed(session)


if __name__ == "__main__":
    raise SystemExit(main())
