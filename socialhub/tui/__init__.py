"""The Textual TUI: a calendar, a drafts editor, the queue and accounts.

Imported lazily by ``socialhub tui`` so the CLI never pays for Textual.
"""

from __future__ import annotations

from socialhub.tui.app import SocialhubApp, run

__all__ = ["SocialhubApp", "run"]
