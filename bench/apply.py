"""Benchmark: ``socialhub apply`` of 10,000 Post manifests in one directory, on SQLite.

Generates one file per post (spread over several accounts on different
platforms, each with a time), applies the directory to a fresh embedded
database, applies it again (everything "unchanged"), and prints the wall time
of each run. The goal for the first apply is under 10 s.

    .venv/bin/python bench/apply.py [--posts N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACCOUNTS = ["bluesky:@shop.example.com", "mastodon:@shop@social.example",
            "sandbox:@shop", "linkedin:@shop-company", "threads:@shop"]
GOAL_S = 10.0


def write_manifests(root: Path, posts: int) -> None:
    """One accounts.yaml plus ``posts`` files named post-00001.yaml …"""
    root.mkdir(parents=True, exist_ok=True)
    docs = [f"apiVersion: socialhub/v1\nkind: Account\nmetadata: {{name: '{ref}'}}\n"
            for ref in ACCOUNTS]
    (root / "accounts.yaml").write_text("---\n".join(docs))
    for i in range(posts):
        account = ACCOUNTS[i % len(ACCOUNTS)]
        day = 1 + (i // 96) % 28
        month = 1 + (i // (96 * 28)) % 12
        hour, minute = (i % 96) // 4, (i % 4) * 15
        (root / f"post-{i:05d}.yaml").write_text(
            "apiVersion: socialhub/v1\nkind: Post\n"
            f"metadata: {{name: post-{i:05d}}}\n"
            "spec:\n"
            f"  body: \"Post number {i}: new things in the shop, see https://example.com/{i}\"\n"
            "  tags: [bench]\n"
            "  targets:\n"
            f"    - account: '{account}'\n"
            f"      at: 2099-{month:02d}-{day:02d}T{hour:02d}:{minute:02d} UTC\n")


def run_apply(directory: Path) -> tuple[float, float, dict[str, int]]:
    """Apply ``directory`` the way ``socialhub apply -f DIR`` does.

    Returns wall seconds, CPU seconds of this process (steadier on a busy machine)
    and the count of each action.
    """
    from socialhub.cli.common import get_hub, reset_state
    from socialhub.services.clock import now_utc
    from socialhub.services.manifests.apply import apply_manifests, read_sources
    from socialhub.services.manifests.documents import parse_manifests

    reset_state()
    hub = get_hub()
    hub.engine  # noqa: B018 - open and migrate the database outside the timed part
    start, cpu = time.perf_counter(), time.process_time()
    manifests, issues = parse_manifests(read_sources([directory]))
    with hub.context("cli") as ctx:
        changes = apply_manifests(ctx, manifests, now=now_utc(), issues=issues)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    reset_state()
    return elapsed, cpu, counts


def run_cli_subprocess(directory: Path, home: Path) -> float:
    """Time the real command end to end in a fresh home (so a fresh SQLite database)."""
    env = {**os.environ, "SOCIALHUB_HOME": str(home)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "socialhub", "apply", "-f", str(directory)],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"socialhub apply failed: {done.stderr.strip()[-500:]}")
    return elapsed


def main() -> int:
    """Generate, apply twice, print the figures; exit 1 when the first apply misses the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the manifests here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["SOCIALHUB_HOME"] = str(home)
        os.environ.setdefault("SOCIALHUB_MASTER_KEY",
                              "YmVuY2gtbWFzdGVyLWtleS1ub3QtYS1zZWNyZXQtMDAwMA==")
        os.environ["SOCIALHUB_SECURITY_USE_KEYRING"] = "false"
        os.environ.pop("SOCIALHUB_DATABASE_URL", None)
        directory = args.keep or Path(tmp) / "manifests"
        t0 = time.perf_counter()
        write_manifests(directory, args.posts)
        print(f"generated {args.posts} post manifests in {time.perf_counter() - t0:.2f} s "
              f"({len(ACCOUNTS)} accounts)")
        first, cpu1, counts1 = run_apply(directory)
        print(f"apply (fresh SQLite):    {first:6.2f} s wall, {cpu1:6.2f} s CPU  {counts1}  "
              f"{args.posts / first:,.0f} posts/s")
        second, cpu2, counts2 = run_apply(directory)
        print(f"apply again (unchanged): {second:6.2f} s wall, {cpu2:6.2f} s CPU  {counts2}")
        cli = run_cli_subprocess(directory, Path(tmp) / "home-cli")
        print(f"`socialhub apply -f DIR` as a process, fresh database: {cli:6.2f} s wall "
              "(startup, schema creation and printing included)")
        verdict = "OK" if first < GOAL_S else "SLOWER THAN GOAL"
        print(f"goal: first apply < {GOAL_S:.0f} s: {verdict}")
        return 0 if first < GOAL_S else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
