"""TUI figures: launch → first painted calendar with 2,000 posts in the month, and paging.

Seeds a home once (2,000 scheduled posts in one month on one account; kept
under the temp dir and reused by later runs until the schema changes, ``--reseed``
to rebuild), then:

* **cold launch**: ``socialhub tui`` as a person runs it — a new process in a
  real pseudo-terminal (120×36) — from ``exec`` until the month's posts reach
  the terminal: interpreter start, every import, the helper process that
  reads the month, Textual's frames. The package's bytecode is compiled
  first, as installing the wheel does (this environment may set
  PYTHONDONTWRITEBYTECODE, which would otherwise recompile every module on
  every launch);
* **cold launch through SQLAlchemy**: the same, with the database named by a
  URL with an option, which the direct driver read of the first month leaves
  to SQLAlchemy;
* **warm launch**: the app started again in this process (imports cached,
  the month read in-process);
* **paging**: ``]`` to the next (empty) month, ``[`` back to the full one, and
  ``]`` again once the neighbours are cached — each a read (or a cache hit)
  plus a repaint.

Prints medians. Goals (issue #6): launch < 600 ms, a month page < 100 ms. The cold
launches alternate with an anchor, a bare Textual app painting two lines started the
same way (issue #18: the TUI's first paint ≤ 1.6× of it); the last line is
``bare_textual_ms=… tui_first_paint_ms=… ratio=… goal<=1.6``.

Usage: .venv/bin/python bench/tui_startup.py [--posts 2000] [--runs 5] [--reseed] [--no-cold]
                                            [--database-url sqlite|pg]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ENV = {"SOCIALHUB_TIMEZONE": "UTC", "SOCIALHUB_SECURITY_USE_KEYRING": "false",
       "SOCIALHUB_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1hLXNlY3JldC0wMDA="}
OPEN_ON = "2026-12-01T00:00:00+00:00"  # so the first paint is the full month


def seed(posts: int) -> None:
    """2,000 (``posts``) scheduled posts in December 2026 on one Mastodon account."""
    from socialhub.core.when import localize
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    now = datetime.fromisoformat("2026-11-30T12:00:00+00:00")
    with hub.context("cli") as ctx:
        add_account(ctx, platform="mastodon", handle="me@social.example")
        for i in range(posts):
            at = localize(datetime(2026, 12, 1, 8) + timedelta(minutes=(i * 21) % (30 * 24 * 60)),
                          "UTC")
            post = create_post(ctx, body=f"Post number {i}", name=f"p{i}",
                               targets=[TargetSpec(account="mastodon:@me@social.example")])
            schedule_post(ctx, post.name, at=at, now=now)
    hub.dispose()


async def until(condition: object, pilot: object) -> None:
    """Wait (polling every 2 ms) until ``condition()`` holds, then until the app is idle."""
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.002)
    await pilot.pause()  # type: ignore[attr-defined]


def shown(screen: object) -> bool:
    """Whether the calendar shows the data of the selected day's month."""
    loaded = getattr(screen, "loaded", None)
    selected = getattr(screen, "selected", None)
    if loaded is None or selected is None or not loaded.start <= selected < loaded.end:
        return False
    middle = loaded.start + (loaded.end - loaded.start) / 2  # a month grid pads whole weeks
    return bool((middle.year, middle.month) == (selected.year, selected.month))


class Frames:
    """Records when the app wrote each frame and whether the month's data was in it.

    Timing to the first such frame, not to "idle" after it, leaves out what
    Pilot itself waits (~85 ms a key here) and work done after the paint.
    """

    def __init__(self, app: object) -> None:
        self.app = app
        self.log: list[tuple[float, bool]] = []
        real = app._display  # type: ignore[attr-defined]

        def display(screen: object, renderable: object) -> None:
            real(screen, renderable)
            if renderable is not None:
                self.log.append((time.perf_counter(), shown(app.screen)))  # type: ignore[attr-defined]

        app._display = display  # type: ignore[attr-defined]

    def first_showing(self, since: float) -> float:
        """The time of the first frame after ``since`` that showed the selected month."""
        return next(t for t, ok in self.log if t >= since and ok)


async def one_run(*, pages: bool = True) -> list[float]:
    """[first paint, next, back, next again] in seconds; first paint only with pages=False."""
    from socialhub.services.settings import load_config
    from socialhub.tui.app import SocialhubApp
    from socialhub.tui.screens.calendar_screen import CalendarScreen

    start = time.perf_counter()
    app = SocialhubApp(load_config(), blink=False)  # in-process read: imports are warm
    frames = Frames(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(lambda: isinstance(app.screen, CalendarScreen)
                    and app.screen.loaded is not None, pilot)
        figures = [frames.first_showing(start) - start]
        if not pages:
            return figures
        screen = app.screen
        assert isinstance(screen, CalendarScreen)
        await pilot.pause(0.3)  # let the neighbour prefetch finish, as a person reads
        for key in ("right_square_bracket", "left_square_bracket", "right_square_bracket"):
            month = screen.selected.month
            t0 = time.perf_counter()
            await pilot.press(key)
            await until(lambda m=month: screen.selected.month != m and shown(screen), pilot)
            figures.append(frames.first_showing(t0) - t0)
    return figures


#: The anchor: a bare Textual app (one Static) painting the same two markers the
#: calendar's first frame holds, started the same way in the same terminal.
BARE_TEXTUAL = """
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Mon Tue Wed\\nPost number 0")


Bare().run()
"""


def cpu_seconds(pid: int) -> float:
    """CPU (user + system) the process ``pid`` has used so far; 0.0 where /proc is missing.

    Its own CPU only, not its children's: the helper process reading the month runs
    beside the UI process, on the other core.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cold_launch(env: dict[str, str] | None = None, *, bare: bool = False,
                cwd: str | None = None) -> tuple[float, float, float]:
    """Seconds from exec to the first frame of the grid, to the month's posts on screen,
    and the CPU seconds the launched (UI) process had used by then.

    ``socialhub tui`` runs in a pseudo-terminal; the selected day (1 December)
    lists its posts in the agenda beside the grid, painted in the same frame
    as the grid's entries, so the first "Post number" on the terminal marks
    the painted month (the grid's header, "Mon", is on screen too: when the month
    is read before Textual's first frame, both come in that frame, agenda
    first). The process is killed then: tearing Textual down is
    not something a person waits for. ``bare`` runs :data:`BARE_TEXTUAL` instead;
    ``cwd`` is where it starts (``python -m`` imports the package found there first).
    """
    import pty
    import select
    import signal

    pid, fd = pty.fork()
    if pid == 0:  # the child: become `socialhub tui` in a 120×36 terminal
        argv = ["-c", BARE_TEXTUAL] if bare else ["-m", "socialhub", "tui"]
        if cwd is not None:
            os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, *argv], {**os.environ, **(env or {})})
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    t0 = time.perf_counter()
    seen = b""
    grid = month = None
    cpu = 0.0
    try:
        while time.perf_counter() - t0 < 60 and month is None:
            if select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 1 << 16)
                if grid is None and b"Mon" in seen:
                    grid = time.perf_counter() - t0
                if grid is not None and b"Post number" in seen:
                    month = time.perf_counter() - t0
                    cpu = cpu_seconds(pid)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if grid is None or month is None:
        raise SystemExit(f"socialhub tui never showed the month: {seen[-2000:]!r}")
    return grid, month, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reseed", action="store_true", help="Rebuild the cached home.")
    parser.add_argument("--no-cold", action="store_true", help="Skip the new-process launches.")
    parser.add_argument("--compare-with", metavar="DIR", help=(
        "Another copy of the source (e.g. `git worktree add /tmp/before HEAD~3`): its cold "
        "launch joins the alternation (bare, this, that), for before/after in one run"))
    parser.add_argument("--database-url", default="sqlite", help=(
        "sqlite (a cached home under the temp dir), or pg: a throwaway PostgreSQL cluster "
        "from the machine's binaries, seeded afresh"))
    args = parser.parse_args()
    cluster = None
    if args.database_url == "pg":
        home = Path(tempfile.mkdtemp(prefix="sh-tui-bench-pg-"))
        cluster, url = start_postgres()
        os.environ["SOCIALHUB_DATABASE_URL"] = url
        full_url = f"{url}?connect_timeout=5"
    else:
        home = Path(tempfile.gettempdir()) / f"sh-tui-bench-{args.posts}"
        full_url = f"sqlite:///{home / 'data' / 'socialhub.sqlite'}?timeout=5"
        if args.reseed and home.exists():
            shutil.rmtree(home)
    try:
        measure(args, home, full_url)
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(home, ignore_errors=True)


def start_postgres() -> tuple[Any, str]:
    """A throwaway PostgreSQL cluster and its URL (the tests' own cluster helper)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pgcluster import PostgresCluster, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL binaries not found (needed for --database-url pg)")
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    return cluster, cluster.url()


def measure(args: argparse.Namespace, home: Path, full_url: str) -> None:
    """Seed (once), then time the cold launches, warm launches and paging."""
    os.environ.update(ENV, SOCIALHUB_HOME=str(home), SOCIALHUB_FAKE_NOW=OPEN_ON)
    from socialhub.db.revisions import head_revision

    stamp = home / ".seeded"  # holds the schema head the home was seeded with
    if stamp.exists() and stamp.read_text() != head_revision():
        print(f"the cached home {home} was seeded by an older schema: seeding it again")
        shutil.rmtree(home)
    if not stamp.exists():
        t0 = time.perf_counter()
        seed(args.posts)
        stamp.write_text(head_revision())
        print(f"seeded {args.posts} posts in December 2026 in {time.perf_counter() - t0:.1f} s")
    if not args.no_cold:  # as a wheel install leaves it: every module already compiled
        import compileall

        compileall.compile_dir(Path(__file__).resolve().parents[1] / "socialhub", quiet=1)
        if args.compare_with:
            compileall.compile_dir(Path(args.compare_with) / "socialhub", quiet=1)
    colds: list[tuple[float, float, float]] = []
    bares: list[tuple[float, float, float]] = []
    others: list[tuple[float, float, float]] = []
    other = str(Path(args.compare_with).resolve()) if args.compare_with else None
    for _ in range(0 if args.no_cold else args.runs):  # alternated: load hits both alike
        bares.append(cold_launch(bare=True))
        colds.append(cold_launch())
        if other is not None:  # started in that directory: `python -m` imports its copy
            others.append(cold_launch({"PYTHONPATH": other}, cwd=other))
    # The same database named with a URL option: the direct read leaves it to SQLAlchemy.
    full = {"SOCIALHUB_DATABASE_URL": full_url}
    fulls = [] if args.no_cold else [cold_launch(full) for _ in range(args.runs)]
    runs = [asyncio.run(one_run()) for _ in range(args.runs)]
    firsts, nexts, backs, agains = zip(*runs, strict=True)

    def ms(xs: tuple[float, ...] | list[float]) -> str:
        return f"{statistics.median(xs) * 1000:.0f} ms"

    if colds:
        print(f"cold launch: `socialhub tui` in a terminal → month with {args.posts} posts "
              f"painted: median {ms([m for _, m, _ in colds])} (goal < 600 ms) over {args.runs} "
              f"runs; its grid first painted at {ms([g for g, _, _ in colds])}")
        print(f"cold launch, month read through SQLAlchemy (a URL with options): median "
              f"{ms([m for _, m, _ in fulls])}; its grid first painted at "
              f"{ms([g for g, _, _ in fulls])}")
    print(f"warm launch (imports cached) → first painted month: median {ms(firsts)}")
    print(f"page to an empty month: {ms(nexts)}; back to the full month: {ms(backs)}; "
          f"forward again: {ms(agains)} (goal < 100 ms each)")
    print(f"database: {args.database_url}; load average: {os.getloadavg()[0]:.1f}")
    if colds:
        anchor = statistics.median([m for _, m, _ in bares])
        tui = statistics.median([m for _, m, _ in colds])
        ratios = [m / b for (_, b, _), (_, m, _) in zip(bares, colds, strict=True)]
        cpu_bare = statistics.median([c for _, _, c in bares])
        cpu_tui = statistics.median([c for _, _, c in colds])
        if others:
            before = statistics.median([m for _, m, _ in others])
            other_ratios = [m / b for (_, b, _), (_, m, _) in zip(bares, others, strict=True)]
            print(f"compared with {args.compare_with}: first paint median {before * 1000:.0f} ms "
                  f"(ratio {before / anchor:.2f}, median of its pairs "
                  f"{statistics.median(other_ratios):.2f}); CPU of its UI process "
                  f"{statistics.median([c for _, _, c in others]) * 1000:.0f} ms")
        print(f"CPU of the UI process from exec to that frame (user + system, medians): "
              f"bare {cpu_bare * 1000:.0f} ms, TUI {cpu_tui * 1000:.0f} ms "
              f"({cpu_tui / cpu_bare:.2f}x)")
        pairs = " ".join(f"{r:.2f}" for r in ratios)
        # On a loaded machine the median of the pairs' ratios moves less than the ratio
        # of the medians: each pair ran back to back under about the same load.
        print(f"anchor: a bare Textual app painting two lines, same terminal, alternated "
              f"with the TUI; per-pair ratios: {pairs}; their median "
              f"{statistics.median(ratios):.2f}")
        print(f"bare_textual_ms={anchor * 1000:.0f} tui_first_paint_ms={tui * 1000:.0f} "
              f"posts={args.posts} ratio={tui / anchor:.2f} goal<=1.6 "
              f"{'met' if tui / anchor <= 1.6 else 'MISSED'}")


if __name__ == "__main__":
    main()
