"""Chaos benchmark: SIGKILL and restart the daemon K times while the sandbox misbehaves.

    python bench/chaos.py --posts 2000 --kills 5

The sandbox answers 5% of requests with 500 and leaves 2% of new posts
unanswered (stored, then the connection hangs: the outcome-unknown case).
The daemon is killed with SIGKILL at random moments and restarted at once.
The last line is ``published=… duplicates=… lost=… kills=K``; the goal is
``duplicates=0 lost=0``.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_common import Bench, SandboxProcess, sandbox_counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--timeout-rate", type=float, default=0.02)
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_PLATFORM": "32",
        "SOCIALHUB_DAEMON_CONCURRENCY_PER_ACCOUNT": "4",
        "SOCIALHUB_DAEMON_POLL_INTERVAL_S": "1", "SOCIALHUB_DAEMON_REQUEST_TIMEOUT_S": "1",
        "SOCIALHUB_DAEMON_BACKOFF_BASE_S": "0.5", "SOCIALHUB_DAEMON_BACKOFF_MAX_S": "5",
        "SOCIALHUB_DAEMON_MAX_ATTEMPTS": "20", "SOCIALHUB_DAEMON_LEASE_SECONDS": "15"})
    # The sandbox runs in its own process, as in bench/publish.py: in the bench's
    # interpreter its threads would compete with the progress polling for one GIL.
    sandbox = SandboxProcess("--latency-ms", str(args.latency_ms), "--hang-s", "3",
                             "--seed", str(args.seed), env=bench.env)
    kills = 0
    started = time.monotonic()
    try:
        accounts = bench.connect_accounts(sandbox.url, args.accounts)
        sandbox.configure(fail_rate=args.fail_rate, timeout_rate=args.timeout_rate)
        bench.insert_deliveries(accounts, args.posts, datetime.now(UTC) + timedelta(seconds=2),
                                spread_s=10.0)
        daemon = bench.start_daemon("daemon-0")
        deadline = time.monotonic() + args.timeout_s
        while time.monotonic() < deadline:
            counts, _ = bench.progress()
            done = counts["published"] + counts["dead"]
            print(f"\rkills={kills} {dict(counts)}", end="", file=sys.stderr)
            if done >= args.posts:
                break
            if kills < args.kills and done > args.posts * (kills + 1) / (args.kills + 2) * \
                    rng.uniform(0.6, 1.0):
                time.sleep(rng.uniform(0.0, 0.5))
                daemon.send_signal(signal.SIGKILL)
                daemon.wait()
                kills += 1
                daemon = bench.start_daemon(f"daemon-{kills}")
            time.sleep(0.2)
        print(file=sys.stderr)
        counts, _ = bench.progress()
        received, duplicates, lost = sandbox_counts(sandbox.url, args.posts)
        stats = sandbox.stats()
        print(f"elapsed_s={time.monotonic() - started:.1f} dead={counts['dead']} "
              f"received={received} injected_failures={stats.get('injected_failures', 0)} "
              f"injected_timeouts={stats.get('injected_timeouts', 0)} "
              f"idempotent_replays={stats.get('idempotent_replays', 0)} "
              f"unconfirmed_left={counts['unconfirmed']}")
        print(f"published={counts['published']} duplicates={duplicates} lost={lost} "
              f"kills={kills}")
    finally:
        bench.close()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
