"""Benchmark: where an ``analytics import`` spends its time, phase by phase.

Writes the same history file as ``bench/analytics.py`` (20,000 rows over 20 accounts)
and imports it once, timing each phase on its own (wall and this process's CPU):
reading the file, checking the rows, the look-up of posts already imported, the
staging insert, the five ``INSERT … SELECT``, the language update and the commit.
The last line puts the database's own statements (staging, fills, language update,
commit) beside the goal's whole budget (``rows / 20,000`` seconds): when they alone
take the budget, no importer in front of them can meet the goal.

    .venv/bin/python bench/import_phases.py [--rows N] [--database-url sqlite|pg]
                                            [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from analytics import GOAL_IMPORT_ROWS_S, PLATFORMS, write_history
from bench_common import Bench, load_average

#: (module, function) pairs timed, in the order an import reaches them.
PHASES = [("importing", "read_rows"), ("importing", "_checked"),
          ("queries", "existing_imports"), ("queries", "bulk_insert"),
          ("queries", "_copy_into"), ("queries", "_fill_from_stage"),
          ("queries", "_set_stage_languages")]
#: Phases that are the database's own statements (their Python part is small).
STATEMENTS = ("bulk_insert", "_copy_into", "_fill_from_stage", "_set_stage_languages",
              "commit")


@contextmanager
def timed_phases(spent: dict[str, list[float]]) -> Iterator[None]:
    """Wrap each phase so its wall and CPU seconds add up in ``spent``."""
    from socialhub.db.queries import analytics_import as queries
    from socialhub.services.analytics import importing

    modules = {"importing": importing, "queries": queries}
    saved: list[tuple[Any, str, Callable[..., Any]]] = []
    for module_name, name in PHASES:
        module = modules[module_name]
        original = getattr(module, name)
        saved.append((module, name, original))

        def wrapper(*args: Any, _fn: Callable[..., Any] = original, _name: str = name,
                    **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_name][0] += time.perf_counter() - wall
                spent[_name][1] += time.process_time() - cpu

        setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def one_import(database_url: str, rows: int) -> dict[str, list[float]]:
    """Import a fresh ``rows``-row history file into a fresh database; each phase's
    [wall, CPU] seconds, with ``commit`` and ``total``."""
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.analytics.importing import import_history

    bench = Bench(database_url, extra_env={"SOCIALHUB_TIMEZONE": "UTC"})
    try:
        rng = random.Random(14)
        with bench.hub.context("cli") as ctx:
            refs = [add_account(ctx, platform=PLATFORMS[i % len(PLATFORMS)],
                                handle=f"bench{i}").ref for i in range(20)]
        history = bench.home / "history.csv"
        write_history(history, refs, rows, datetime.now(UTC), rng)
        spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        with timed_phases(spent):
            wall, cpu = time.perf_counter(), time.process_time()
            with bench.hub.context("cli") as ctx:
                summary = import_history(ctx, history)
                body_wall, body_cpu = time.perf_counter(), time.process_time()
            spent["commit"] = [time.perf_counter() - body_wall, time.process_time() - body_cpu]
            spent["total"] = [time.perf_counter() - wall, time.process_time() - cpu]
        assert summary.imported == rows, summary
        return spent
    finally:
        bench.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="sqlite", help="sqlite, pg or a URL")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_import(args.database_url, args.rows) for _ in range(args.runs)]
    names = [n for n in (*(name for _, name in PHASES), "commit", "total")
             if any(n in r for r in runs)]
    print(f"database={args.database_url} rows={args.rows} runs={args.runs} "
          f"load={load_average()!r}")
    for name in names:
        walls = [r[name][0] for r in runs if name in r]
        cpus = [r[name][1] for r in runs if name in r]
        print(f"{name:22s} wall_s median={statistics.median(walls):.3f} "
              f"range={min(walls):.3f}-{max(walls):.3f}  "
              f"cpu_s median={statistics.median(cpus):.3f}")
    statements = statistics.median(sum(r[n][0] for n in STATEMENTS if n in r) for r in runs)
    total = statistics.median(r["total"][0] for r in runs)
    budget = args.rows / GOAL_IMPORT_ROWS_S
    print(f"statements_s={statements:.3f} total_s={total:.3f} budget_s={budget:.3f} "
          f"rows_per_s={args.rows / total:,.0f} statements_alone_rows_per_s="
          f"{args.rows / statements:,.0f} goal>={GOAL_IMPORT_ROWS_S:,.0f} "
          f"statements/budget={statements / budget:.2f}")


if __name__ == "__main__":
    main()
