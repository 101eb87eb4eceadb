"""Table cells shown as they are, and nothing in them that drives the terminal.

A ``DataTable`` reads a string cell as Rich markup: a comment saying ``[/b]`` stopped
the screen (``MarkupError``), ``[link]`` vanished and ``:x:`` became an emoji. And
Textual passes ``ESC`` through to the terminal. Names, texts and errors come from
people and platforms, so every string cell goes in as plain ``Text`` with its control
characters shown as symbols (``terminal_text.printable``)."""

from __future__ import annotations

from rich.text import Text

from socialhub.services.terminal_text import printable


def plain_cells(*cells: str | Text) -> list[Text]:
    """``cells`` for ``DataTable.add_row``: strings as plain, printable text; a styled
    ``Text`` keeps its style (its text made printable too)."""
    return [_printable_text(cell) if isinstance(cell, Text) else Text(printable(cell))
            for cell in cells]


def _printable_text(text: Text) -> Text:
    plain = printable(text.plain)
    if plain == text.plain:
        return text
    shown = text.copy()
    shown.plain = plain  # same length: one symbol a control character, styles kept
    return shown
