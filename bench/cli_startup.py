"""How long `socialhub --help` takes next to a bare Typer hello-world, in the same run.

Prints the median wall time of each over several runs and the ratio (goal ≤ 1.3).
Usage: python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELLO = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")
if __name__ == "__main__":
    app()
"""


def median_time(cmd: list[str], runs: int) -> float:
    """Median wall-clock seconds of ``cmd`` over ``runs`` runs (after one warm-up)."""
    subprocess.run(cmd, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        baseline = median_time([sys.executable, str(hello), "--help"], args.runs)
        ours = median_time([sys.executable, "-m", "socialhub", "--help"], args.runs)
    print(f"typer_hello_help_ms={baseline * 1000:.1f}")
    print(f"socialhub_help_ms={ours * 1000:.1f}")
    print(f"ratio={ours / baseline:.2f} goal<=1.30")


if __name__ == "__main__":
    main()
