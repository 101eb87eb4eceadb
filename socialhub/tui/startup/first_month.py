"""The month the calendar opens on, read by a helper process while Textual starts.

A cold ``socialhub tui`` spends about as long importing and starting Textual
as it would importing SQLAlchemy and the settings, opening the database and
reading the month. In one process the two halves would take turns on one
interpreter lock; here a helper process (``python -m
socialhub.tui.startup.first_month``) reads the month on another core while
the UI process starts Textual. The helper first tries the direct read
(``quick_first_month``: the config's few keys it needs, the month through the
database driver, no SQLAlchemy, no settings schema), which is done before
Textual's first frame; when that read is unsure it reads through the hub and
the calendar service as the CLI does. The UI process loads the database layer
itself only after the month is painted.

The helper inherits the environment (``SOCIALHUB_…`` overrides, a frozen
clock) and is given the ``--config`` path; its answer is pickled on stdout.
If it cannot start or dies, the month is read in-process instead.
"""

from __future__ import annotations

import os
import pickle
import sys
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from socialhub.errors import ExitCode, SocialhubError
from socialhub.services.authoring.calendar_model import CalendarData

if TYPE_CHECKING:
    import subprocess

    from socialhub.services.hub import Hub

# ``subprocess`` (and the module starting the helper) is imported only where a helper
# is started or waited for: the helper itself runs this module and never needs it.


@dataclass(frozen=True)
class FirstMonth:
    """What the first paint needs: the display zone, today there, and that month."""

    zone: str
    today: date
    data: CalendarData


@dataclass(frozen=True)
class HelperError:
    """A SocialhubError raised in the helper, carried back as plain text."""

    message: str
    hint: str | None
    exit_code: int


def read_first_month(hub: Hub) -> FirstMonth:
    """Today's month in the display zone, read through the calendar service."""
    from socialhub.services.authoring.board import calendar_data, local_today
    from socialhub.services.clock import display_zone, now_utc

    zone = display_zone(hub.config.settings)
    today = local_today(now_utc(), zone)
    with hub.context("tui") as ctx:
        data = calendar_data(ctx, "month", today, zone)
    return FirstMonth(zone, today, data)


class FirstMonthHelper:
    """The helper process; ``result()`` collects its answer.

    It is started here unless the caller ``started`` it already (with
    ``helper_process.start_helper``, before importing this module).
    """

    def __init__(self, config_path: str | None, *,
                 started: subprocess.Popen[bytes] | None = None) -> None:
        if started is None:
            from socialhub.tui.startup.helper_process import start_helper

            started = start_helper(config_path)
        self.proc = started

    def result(self, timeout: float = 60.0) -> FirstMonth | None:
        """The helper's month; None when it could not run (read it in-process then).

        Raises:
            SocialhubError: the helper met a socialhub error (bad config, old schema…).
        """
        if self.proc is None:
            return None
        import subprocess

        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None
        if self.proc.returncode != 0:
            return None
        try:
            answer = pickle.loads(out)  # our own child's output, never outside input
        except Exception:
            return None
        if isinstance(answer, HelperError):
            error = SocialhubError(answer.message, hint=answer.hint)
            error.exit_code = ExitCode(answer.exit_code)
            raise error
        return answer if isinstance(answer, FirstMonth) else None

    def cancel(self) -> None:
        """Stop the helper if it is still running (the app is closing)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def quick_first_month(config_path: str | None) -> FirstMonth | None:
    """The first month read without SQLAlchemy or the settings schema; None if unsure.

    See ``services.authoring.first_month.quick_month``: the rest of the config is
    checked by the app once the month is on screen.
    """
    from socialhub.services.authoring.first_month import quick_month

    found = quick_month(config_path)
    return FirstMonth(*found) if found is not None else None


def main(argv: list[str]) -> int:
    """The helper: read the month and pickle it (or the error) to stdout.

    The quick read comes first; the full one (SQLAlchemy, the whole config)
    when it is unsure.
    """
    config_path = argv[0] if argv else None
    answer: FirstMonth | HelperError | None = quick_first_month(config_path)
    if answer is None:
        answer = full_first_month(config_path)
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()
    return 0


def full_first_month(config_path: str | None) -> FirstMonth | HelperError:
    """The first month read through the hub, as the app would; an error as plain text."""
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    try:
        hub = Hub(load_config(config_path))
        try:
            answer = read_first_month(hub)
        finally:
            hub.dispose()
    except SocialhubError as exc:
        return HelperError(exc.message, exc.hint, int(exc.exit_code))
    return answer


if __name__ == "__main__":
    # Run the importable copy of this module, so the pickle names its classes
    # socialhub.tui.startup.first_month.FirstMonth rather than __main__.FirstMonth.
    from socialhub.tui.startup import first_month

    code = first_month.main(sys.argv[1:])
    # The answer is written and the database closed: skip the interpreter's
    # teardown (~0.1 s with SQLAlchemy loaded), which the UI would wait for.
    os._exit(code)
