"""Benchmark: ``socialhub posts list --json --all`` over 10,000 posts, next to a Typer
hello-world run in the same loop (the anchor).

Applies 10,000 Post manifests (the generator of ``bench/apply.py``) to a fresh SQLite
database, then times the real command as a fresh process, alternating with the
anchor so both see the same machine load. Goal (issue #18): ≤ 1.0 s wall.

    .venv/bin/python bench/lists.py [--posts N] [--runs N] [--before DIR]

``--before DIR`` times a checkout of other code (``git archive REF | tar -x -C DIR``)
on the same database in the same loop (anchor, this code, that code, …) and checks
both print the same bytes. Last line: anchor=… ms list=… ms ratio=… goal_s=1.0
met|MISSED
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from apply import run_apply, write_manifests  # bench/apply.py: the same 10,000 manifests
from cli_startup import HELLO  # bench/cli_startup.py: the same Typer hello-world

GOAL_S = 1.0


def timed(cmd: list[str], env: dict[str, str],
          cwd: str | None = None) -> tuple[float, float, str]:
    """Wall seconds and CPU seconds (user + system) of one run of ``cmd``, and its
    stdout; raises when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.stdout


def main() -> int:
    """Seed, time both commands alternately, print the medians; exit 1 on a miss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", type=Path, default=None,
                        help="a checkout of the code to compare with, timed in the same loop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "SOCIALHUB_HOME": str(home),
               "SOCIALHUB_MASTER_KEY": "YmVuY2gtbWFzdGVyLWtleS1ub3QtYS1zZWNyZXQtMDAwMA==",
               "SOCIALHUB_SECURITY_USE_KEYRING": "false"}
        env.pop("SOCIALHUB_DATABASE_URL", None)
        os.environ.update({k: env[k] for k in ("SOCIALHUB_HOME", "SOCIALHUB_MASTER_KEY",
                                               "SOCIALHUB_SECURITY_USE_KEYRING")})
        os.environ.pop("SOCIALHUB_DATABASE_URL", None)
        directory = Path(tmp) / "manifests"
        write_manifests(directory, args.posts)
        seconds, _cpu, counts = run_apply(directory)
        print(f"seeded {args.posts:,} posts in {seconds:.1f} s {counts}")
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        anchor_cmd = [sys.executable, str(hello), "--name", "bench"]
        list_cmd = [sys.executable, "-m", "socialhub", "posts", "list", "--json", "--all"]
        _, _, listed = timed(list_cmd, env)  # warm-up (and a check that every post is there)
        rows = len(json.loads(listed))
        if rows != args.posts:
            raise SystemExit(f"posts list --json --all printed {rows} posts, not {args.posts}")
        timed(anchor_cmd, env)
        # The other checkout comes first on the path; the working directory is left
        # out of it (python -m puts it first).
        old_env = {**env, "PYTHONPATH": str(args.before.resolve())} if args.before else env
        if args.before:
            _, _, old_listed = timed(list_cmd, old_env, cwd=tmp)
            if old_listed != listed:
                raise SystemExit(f"{args.before} printed other bytes than this code")
        load_before = os.getloadavg()[0]
        anchors, lists, cpus, olds, old_cpus = [], [], [], [], []
        for _ in range(args.runs):
            anchors.append(timed(anchor_cmd, env)[0])
            wall, cpu, _ = timed(list_cmd, env)
            lists.append(wall)
            cpus.append(cpu)
            if args.before:
                wall, cpu, _ = timed(list_cmd, old_env, cwd=tmp)
                olds.append(wall)
                old_cpus.append(cpu)
    anchor, listing = statistics.median(anchors), statistics.median(lists)
    load = os.getloadavg()
    met = listing <= GOAL_S
    print(f"{args.runs} runs each, alternated (median); load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs "
          f"(1-minute {load_before:.1f} when the runs began)")
    if args.before:
        print(f"before ({args.before}): {statistics.median(olds):.3f} s "
              f"(range {min(olds):.3f}–{max(olds):.3f}); "
              f"{statistics.median(old_cpus):.2f} CPU-s; the same bytes")
    print(f"posts list --json --all ({args.posts:,} posts): {listing:.3f} s "
          f"(range {min(lists):.3f}–{max(lists):.3f}); "
          f"{statistics.median(cpus):.2f} CPU-s; Typer hello-world: {anchor:.3f} s")
    print(f"anchor={anchor * 1000:.0f}ms list={listing * 1000:.0f}ms "
          f"ratio={listing / anchor:.2f} goal_s={GOAL_S} {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
