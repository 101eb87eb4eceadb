"""Benchmark: the last page of a long list read by offset and by cursor, alternated.

Applies 10,000 Post manifests (``bench/apply.py``) to a fresh SQLite database, then,
in this process, reads the page of 50 rows at position N - 50 of ``posts list`` and
of ``audit list`` (newest first, by id) both ways — ``--offset N-50`` (the old way)
and ``--cursor`` of the row before it (a keyset position) — through the use cases the
CLI calls, A, B, A, B…, and prints CPU-seconds and wall time per read; both must
give the same rows. The anchor is the first page (what any page should cost).

    .venv/bin/python bench/list_pages.py [--posts N] [--runs N]

Last line: first=… ms offset=… ms cursor=… ms ratio=… (cursor / offset, CPU) per list.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from apply import run_apply, write_manifests  # bench/apply.py: the same 10,000 manifests

PAGE = 50


def clocked(read: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one ``read()`` and its answer."""
    wall, cpu = time.perf_counter(), time.process_time()
    answer = read()
    return time.perf_counter() - wall, time.process_time() - cpu, answer


def main() -> int:
    """Seed, time the three reads of each list alternately, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"SOCIALHUB_HOME": str(Path(tmp) / "home"),
                           "SOCIALHUB_MASTER_KEY":
                               "YmVuY2gtbWFzdGVyLWtleS1ub3QtYS1zZWNyZXQtMDAwMA==",
                           "SOCIALHUB_SECURITY_USE_KEYRING": "false"})
        os.environ.pop("SOCIALHUB_DATABASE_URL", None)
        directory = Path(tmp) / "manifests"
        write_manifests(directory, args.posts)
        seconds, _cpu, counts = run_apply(directory)
        print(f"seeded {args.posts:,} posts in {seconds:.1f} s {counts}")
        return measure(args.runs)


def measure(runs: int) -> int:
    """Time the reads on the database the environment names; 0 when both ways agree."""
    from socialhub.cli.common import get_hub
    from socialhub.services.audit_trail.trail import audit_filter, audit_page
    from socialhub.services.authoring.scheduling import post_summaries_page
    from socialhub.services.paging import AUDIT, POSTS, Keyset, Page, Window

    hub = get_hub()
    lists: dict[str, tuple[Keyset, Callable[[Any, Window], Page[Any]]]] = {
        "posts list": (POSTS, lambda ctx, win: post_summaries_page(ctx, win)),
        "audit list": (AUDIT, lambda ctx, win: audit_page(ctx, audit_filter(ctx), win,
                                                          count=False)),
    }
    load_before = os.getloadavg()[0]
    lines = []
    for name, (keyset, read) in lists.items():
        with hub.context("cli") as ctx:
            total = len(read(ctx, Window(None)).items)
            # The cursor of the row just before the last page: the page of PAGE rows
            # that ends at that row, read once.
            before = read(ctx, Window(PAGE, total - 2 * PAGE))
        assert before.next_cursor is not None
        after = keyset.decode(before.next_cursor)
        ways = {"first": Window(PAGE), "offset": Window(PAGE, total - PAGE),
                "cursor": Window(PAGE, 0, after)}
        walls: dict[str, list[float]] = {w: [] for w in ways}
        cpus: dict[str, list[float]] = {w: [] for w in ways}
        answers: dict[str, Any] = {}
        for _ in range(runs):
            for way, win in ways.items():
                with hub.context("cli") as ctx:
                    wall, cpu, page = clocked(partial(read, ctx, win))
                walls[way].append(wall)
                cpus[way].append(cpu)
                answers[way] = page.items
        if answers["offset"] != answers["cursor"]:
            raise SystemExit(f"{name}: the offset and the cursor gave other rows")
        med = {w: (statistics.median(walls[w]), statistics.median(cpus[w])) for w in ways}
        print(f"{name} ({total:,} rows), last page of {PAGE}, median of {runs} alternated: "
              + "; ".join(f"{w} {med[w][0] * 1000:.1f} ms wall / {med[w][1] * 1000:.1f} ms CPU"
                          for w in ways))
        lines.append(f"{name}: first={med['first'][1] * 1000:.1f}ms "
                     f"offset={med['offset'][1] * 1000:.1f}ms "
                     f"cursor={med['cursor'][1] * 1000:.1f}ms "
                     f"ratio={med['cursor'][1] / med['offset'][1]:.2f}")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs "
          f"(1-minute {load_before:.1f} when the runs began); CPU = this process")
    print(" | ".join(lines))
    hub.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
