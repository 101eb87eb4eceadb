"""Eight weeks of made-up past posts for ``socialhub demo --keep``, so analytics has
something to show: imported through ``analytics import`` like a real history file.

Each day has two or three posts at hours drawn from a seeded RNG; their numbers come
from the sandbox network's own model (``sandbox_network.world.engagement``: reach by
hour of day and weekday), as if the sandbox had measured them when the demo ran.
Deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from socialhub.sandbox_network.world import engagement
from socialhub.services.analytics.history_file import COLUMNS
from socialhub.services.analytics.importing import ImportSummary, import_history
from socialhub.services.hub import Hub

WEEKS = 8
HOURS = (7, 8, 9, 10, 12, 13, 15, 17, 18, 19, 20, 21, 22)
TOPICS = ("a tip", "a behind-the-scenes photo", "a customer story", "a question",
          "a product update", "a short video", "a link to the blog")


def write_history(path: Path, account: str, now: datetime, *, seed: int = 0) -> int:
    """Write the made-up history of ``account`` to ``path`` (CSV); returns its rows."""
    rng = random.Random(seed)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for days_back in range(WEEKS * 7, 0, -1):
            day = (now - timedelta(days=days_back)).replace(minute=0, second=0, microsecond=0)
            for hour in sorted(rng.sample(HOURS, rng.choice((2, 3)))):
                at = day.replace(hour=hour, minute=rng.randrange(60))
                rows += 1
                counts = engagement(seed, f"history-{rows}", at.timestamp(),
                                    min((now - at).total_seconds(), 14 * 86_400.0))
                writer.writerow([account, at.isoformat(), f"Demo post {rows}: "
                                 f"{rng.choice(TOPICS)}", "", counts["impressions"],
                                 counts["likes"], counts["replies"], counts["reposts"],
                                 counts["quotes"], "", ""])
    return rows


def seed_history(hub: Hub, folder: Path, account: str, now: datetime) -> ImportSummary:
    """Write the history into ``folder`` and import it for ``account``."""
    path = folder / "demo-history.csv"
    write_history(path, account, now)
    with hub.context("cli") as ctx:
        return import_history(ctx, path)
