"""The Textual TUI: a calendar, a drafts editor, the queue and accounts.

Imported lazily by ``socialhub tui`` so the CLI never pays for Textual. The
package itself imports nothing (not even ``typing``): ``socialhub tui``
starts its helper process (``helper_process``) before anything else loads,
and that helper must not load Textual either.
"""

from __future__ import annotations

__all__ = ["SocialhubApp"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from socialhub.tui import app

        return getattr(app, name)
    raise AttributeError(name)
