"""Text from people and platforms made safe to print on a terminal.

A comment, a post, a platform's error or a file may carry control characters: ``ESC``
starts the escape sequences a terminal obeys (colours, clearing the screen, changing
its title, hyperlinks that hide where they lead, and in many terminals writing the
clipboard through OSC 52). Rich and Textual drop only bell, backspace, vertical tab,
form feed and carriage return, and pass the rest through. Here every control
character but newline and tab is shown as its visible symbol instead (``ESC`` as
``␛``), so nothing a stranger wrote can drive the terminal.
"""

from __future__ import annotations

#: C0 controls but tab and newline, and DEL → their Unicode "control pictures"
#: (U+2400–U+2421); C1 controls (U+0080–U+009F) → U+FFFD.
_VISIBLE: dict[int, str] = {
    **{code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)},
    0x7F: "\u2421",
    **dict.fromkeys(range(0x80, 0xA0), "\ufffd"),
}


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab replaced by a visible
    symbol (``ESC`` → ``␛``): safe to write to a terminal, and as long as it was."""
    return text.translate(_VISIBLE) if text and not text.isprintable() else text
