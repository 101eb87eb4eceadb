"""Control characters in text from people and platforms become visible symbols."""

from __future__ import annotations

from socialhub.services.terminal_text import printable


def test_escape_sequences_cannot_reach_the_terminal() -> None:
    hostile = "hi\x1b]52;c;aGk=\x1b\\ \x1b[2J\x07\x9b31m\x7f"
    shown = printable(hostile)
    assert shown == "hi␛]52;c;aGk=␛\\ ␛[2J␇\ufffd31m␡"
    assert len(shown) == len(hostile)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in shown)


def test_ordinary_text_newlines_and_tabs_are_kept() -> None:
    text = "Merci beaucoup !\n\tÇa arrive 🌸 — 東京 [bold] :x:"
    assert printable(text) is text or printable(text) == text
