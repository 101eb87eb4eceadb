"""The footer every screen uses: compact, without the palette key (each screen says its own)."""

from __future__ import annotations

from textual.widgets import Footer


def compact_footer() -> Footer:
    """A footer that fits the bindings each screen shows at 80 columns.

    Compact spacing, and no "^o palette" on the right: the editor, the one
    screen where the palette helps, shows it as its own "Docs" binding.
    """
    return Footer(compact=True, show_command_palette=False)
