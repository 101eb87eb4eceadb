"""Progress on stderr for long imports: a live bar on a terminal, periodic lines otherwise.

A bar redrawn into a log file or a CI transcript is noise, so off a TTY the
reporter prints one plain line every few seconds and one at the end.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO


class ImportProgress:
    """A ``progress(done, total)`` callable that reports to stderr.

    Use as a context manager; ``quiet`` silences it entirely.
    """

    def __init__(self, label: str, *, quiet: bool = False, stream: TextIO | None = None,
                 interval_s: float = 2.0) -> None:
        self.label = label
        self.quiet = quiet
        self.stream = stream
        self.interval_s = interval_s
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0
        self._done = 0
        self._total = 0

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def __enter__(self) -> ImportProgress:
        if not self.quiet and self._out().isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            # No auto-refresh thread: big imports fork workers, which is only safe
            # from a single-threaded process. The bar is redrawn from __call__ instead.
            self._bar = Progress("[progress.description]{task.description}", BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(file=self._out()), transient=True,
                                 auto_refresh=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None)
        self._last = time.monotonic()
        return self

    def __call__(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        if self.quiet:
            return
        now = time.monotonic()
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
            if now - self._last >= 0.1 or done == total:
                self._last = now
                self._bar.refresh()
            return
        if now - self._last >= self.interval_s:
            self._last = now
            pct = 100 * done // total if total else 100
            self._out().write(f"{self.label}: {done}/{total} files ({pct}%)\n")
            self._out().flush()

    def warn(self, message: str) -> None:
        """Print a warning line without breaking the bar."""
        if self._bar is not None:
            self._bar.console.print(f"warning: {message}", markup=False, highlight=False)
        else:
            self._out().write(f"warning: {message}\n")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif not self.quiet and self._total and exc is None:
            self._out().write(f"{self.label}: {self._done}/{self._total} files scanned\n")
