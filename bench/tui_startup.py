"""TUI figures: launch → first painted calendar with 2,000 posts in the month, and paging.

Seeds a throwaway home (2,000 scheduled posts in one month on one account),
then, for several runs, starts the app headless at 120×36 and measures the
time until the month grid has painted its data; then the time to page to
the next month and back (each a database read plus a repaint).
Prints medians. Goals (issue #6): start < 600 ms, a month page < 100 ms.

Usage: .venv/bin/python bench/tui_startup.py [--posts 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta


def seed(posts: int) -> None:
    from socialhub.config import load_config
    from socialhub.core.when import localize
    from socialhub.services.accounts import add_account
    from socialhub.services.hub import Hub
    from socialhub.services.posts import TargetSpec, create_post
    from socialhub.services.scheduling import schedule_post

    hub = Hub(load_config())
    now = datetime.fromisoformat(os.environ["SOCIALHUB_FAKE_NOW"])
    with hub.transaction() as session:
        org = hub.org_id(session)
        add_account(session, org, platform="mastodon", handle="me@social.example")
        for i in range(posts):
            at = localize(datetime(2026, 12, 1, 8) + timedelta(minutes=(i * 21) % (30 * 24 * 60)),
                          "UTC")
            post = create_post(session, org, body=f"Post number {i}", name=f"p{i}",
                               targets=[TargetSpec(account="mastodon:@me@social.example")])
            schedule_post(session, org, post.name, at=at, now=now)
    hub.dispose()


async def one_run() -> tuple[float, float, float]:
    from socialhub.tui.app import SocialhubApp
    from socialhub.tui.calendar_screen import CalendarScreen

    start = time.perf_counter()
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        while not (isinstance(app.screen, CalendarScreen) and app.screen.loaded is not None):
            await asyncio.sleep(0.002)
        await pilot.pause()  # the grid repaints with the data
        first = time.perf_counter() - start
        screen = app.screen
        pages = []
        for key in ("right_square_bracket", "left_square_bracket"):
            t0 = time.perf_counter()
            await pilot.press(key)
            while screen.loaded is None or not (
                    screen.loaded.start <= screen.selected < screen.loaded.end):
                await asyncio.sleep(0.002)
            await pilot.pause()
            pages.append(time.perf_counter() - t0)
    return first, pages[0], pages[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="sh-tui-bench-")
    os.environ.update({"SOCIALHUB_HOME": home, "SOCIALHUB_FAKE_NOW": "2026-11-30T12:00:00+00:00",
                       "SOCIALHUB_TIMEZONE": "UTC", "SOCIALHUB_SECURITY_USE_KEYRING": "false",
                       "SOCIALHUB_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1hLXNlY3JldC0wMDA="})
    t0 = time.perf_counter()
    seed(args.posts)
    print(f"seeded {args.posts} posts in December 2026 in {time.perf_counter() - t0:.1f} s")
    # Open on 1 December so the first paint is the full month.
    os.environ["SOCIALHUB_FAKE_NOW"] = "2026-12-01T00:00:00+00:00"
    runs = [asyncio.run(one_run()) for _ in range(args.runs)]
    firsts, nexts, backs = zip(*runs, strict=True)
    ms = lambda xs: f"{statistics.median(xs) * 1000:.0f} ms"  # noqa: E731
    print(f"launch → first painted month ({args.posts} posts): median {ms(firsts)} "
          f"(goal < 600 ms) over {args.runs} runs")
    print(f"page to an empty month: median {ms(nexts)}; page back to the full month: "
          f"median {ms(backs)} (goal < 100 ms)")


if __name__ == "__main__":
    main()
