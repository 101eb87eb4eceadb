"""The Textual TUI: a calendar, a drafts editor, the queue and accounts.

``app.py`` is the app (the screens and the global keys), ``host.py`` what the
screens need from it, ``background.py`` their service calls off the UI
thread; ``screens/`` holds the screens, ``widgets/`` the pieces they are built
from and ``startup/`` the launch (the helper process reading the first month).

Imported lazily by ``socialhub tui`` so the CLI never pays for Textual. The
package itself imports nothing (not even ``typing``): ``socialhub tui``
starts its helper process (``startup/helper_process.py``) before anything
else loads, and that helper must not load Textual either.
"""

from __future__ import annotations

__all__ = ["SocialhubApp"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from socialhub.tui import app

        return getattr(app, name)
    raise AttributeError(name)
