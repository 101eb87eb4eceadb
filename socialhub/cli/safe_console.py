"""The Rich consoles the CLI prints with: text as written, and nothing that drives the
terminal.

Strings are never read as Rich markup or ``:emoji:`` codes, and every piece of text a
console writes — a string, a ``Text``, a table cell — passes through
``terminal_text.printable`` on its way out, so a control character in a comment, a
post or a platform's error shows as its symbol (``␛``) instead of reaching the
terminal. Rich's own styling is not text and is left alone. The hook is Rich's public
``push_render_hook``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import RenderHook
from rich.segment import Segment

from socialhub.services.terminal_text import printable

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType
    from rich.measure import Measurement


def safe_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that prints text as written and never writes a
    control character but newline and tab."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False,
                      emoji=False)
    console.push_render_hook(_PrintableHook())
    return console


class _PrintableHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]
                            ) -> list[ConsoleRenderable]:
        return [_Printable(r) for r in renderables]


class _Printable:
    """``renderable`` as it renders, each text segment made printable."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions
                         ) -> Iterator[Segment]:
        for segment in console.render(self.renderable, options):
            if segment.control:
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.renderable)
