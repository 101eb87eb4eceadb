"""Python's cyclic garbage collector, paused while a cold ``socialhub tui`` paints.

Importing Textual and building the calendar allocate a few hundred thousand
long-lived objects (modules, classes, styles, widgets). With the collector on,
a cold launch ran some 120 collections before its first frame, one of them a
full collection over all of those objects, where a bare Textual app needs no
full one: about 0.1–0.2 s of the launch, collecting almost nothing. The
console script's fast path pauses the collector before it imports anything;
the calendar resumes it once the first month is painted (or the first month
failed), freezing what start-up made (``gc.freeze``: kept out of later
collections, so the first full collection does not land on a key press).

Standard library only: it runs before anything else is imported.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop automatic collections until :func:`resume` (no-op if already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze the objects made so far and turn collection back on, if :func:`pause` paused it.

    Safe to call any number of times, and a no-op where the TUI runs without the
    pause (the tests, the Typer path): only what ``pause`` turned off is turned on.
    """
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    """Whether :func:`pause` has paused the collector and it has not been resumed."""
    return _paused
