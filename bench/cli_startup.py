"""How long `socialhub --help` takes next to a like-for-like Typer hello-world, in one run.

The anchor is a one-command Typer app configured as socialhub's main app is (Rich
off: ``rich_markup_mode=None``, ``pretty_exceptions_enable=False``), so both
render help through the same plain code path. The two alternate (hello, socialhub,
hello, socialhub…, after one warm-up of each), so both see the same machine load.
Prints the median wall and CPU time (the child's user + system) of each, the load
average, and on the last line the wall ratio against the goal (issue #18: ≤ 1.3).

Usage: python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.3

HELLO = """
import typer
app = typer.Typer(
    name="hello",
    help="A like-for-like anchor: one command, Rich off, as socialhub's main app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")
if __name__ == "__main__":
    app()
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the child) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def load_average() -> str:
    """The machine's 1/5/15-minute load average, as ``uptime`` prints it."""
    return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    """Alternate the anchor and socialhub; print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs of each (alternated)")
    args = parser.parse_args()
    print(load_average())
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        commands = {"typer_hello": [sys.executable, str(hello), "--help"],
                    "socialhub": [sys.executable, "-m", "socialhub", "--help"]}
        for cmd in commands.values():  # warm-up: the file cache, the bytecode
            timed(cmd)
        walls: dict[str, list[float]] = {k: [] for k in commands}
        cpus: dict[str, list[float]] = {k: [] for k in commands}
        ratios: list[float] = []
        for _ in range(args.runs):
            for name, cmd in commands.items():  # A, B, A, B…
                wall, cpu = timed(cmd)
                walls[name].append(wall)
                cpus[name].append(cpu)
            ratios.append(walls["socialhub"][-1] / walls["typer_hello"][-1])
    for name in commands:
        print(f"{name}_help_ms={statistics.median(walls[name]) * 1000:.1f} "
              f"cpu_ms={statistics.median(cpus[name]) * 1000:.1f}")
    cpu_ratio = statistics.median(cpus["socialhub"]) / statistics.median(cpus["typer_hello"])
    print(f"pairs={args.runs} median_of_pair_ratios={statistics.median(ratios):.2f} "
          f"{load_average()}")
    ratio = statistics.median(walls["socialhub"]) / statistics.median(walls["typer_hello"])
    print(f"ratio={ratio:.2f} (CPU {cpu_ratio:.2f}) goal<={GOAL:.2f} "
          f"{'OK' if ratio <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
