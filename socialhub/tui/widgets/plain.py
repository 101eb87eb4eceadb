"""Table cells shown as they are.

A ``DataTable`` reads a string cell as Rich markup: a comment saying ``[/b]`` stopped
the screen (``MarkupError``), ``[link]`` vanished and ``:x:`` became an emoji. Names,
texts and errors come from people and platforms, so every string cell goes in as
plain ``Text``."""

from __future__ import annotations

from rich.text import Text


def plain_cells(*cells: str | Text) -> list[Text]:
    """``cells`` for ``DataTable.add_row``: strings as plain text, styled ``Text`` as it
    is."""
    return [cell if isinstance(cell, Text) else Text(cell) for cell in cells]
