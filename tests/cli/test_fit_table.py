"""Analytics tables on a narrow terminal: numbers keep every digit, what gives way is
named, and nothing is left out where there is room."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from socialhub.cli.fit_table import Column, fitted_table

COLUMNS = [Column("account", "left", shrink=12), Column("posts"),
           Column("impressions"), Column("likes"), Column("replies", drop=1),
           Column("reposts", drop=1), Column("quotes", drop=3), Column("saves", drop=4),
           Column("engagement"), Column("likes", "left", drop=5, called="the likes bar")]
ROWS = [["mastodon:@shop@social.example", "77", "923,746", "90,328", "19,095", "23,077",
         "4,492", "—", "14.83%", "████████████"],
        ["bluesky:@shop.example.com", "3", "—", "1,234", "56", "7", "0", "12", "—", "▏"]]


def _render(width: int) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False)
    console.print(fitted_table("By account", "formula", COLUMNS, ROWS, width))
    return buffer.getvalue().splitlines()


def test_on_80_columns_every_number_keeps_its_digits_and_fits() -> None:
    lines = _render(80)
    text = "\n".join(lines)
    assert all(cell_len(line) <= 80 for line in lines), text
    for number in ("923,746", "90,328", "14.83%", "1,234"):
        assert number in text, text
    assert "…" in text  # the long account was cut, not a number
    assert "not shown at this width: the likes bar, saves, quotes" in text


def test_left_out_columns_go_highest_rank_first_and_only_as_needed() -> None:
    wide = "\n".join(_render(200))
    assert "not shown" not in wide and "mastodon:@shop@social.example" in wide
    assert "████████████" in wide
    table, note = "\n".join(_render(100)).split("not shown at this width:")
    assert "the likes bar" in note and "saves" not in note  # the bar alone made room
    assert "saves" in table and "quotes" in table


def test_cut_text_gets_back_the_room_left_by_dropped_columns() -> None:
    lines = _render(96)
    assert max(cell_len(line) for line in lines) <= 96
    header = next(line for line in lines if "account" in line)
    assert cell_len(header) >= 90  # the room is used, not left blank


def _lines(columns: list[Column], rows: list[list[str]], width: int,
           **kwargs: tuple[str, ...]) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False)
    console.print(fitted_table(None, None, columns, rows, width, **kwargs))
    return buffer.getvalue().splitlines()


HANDLES = "mastodon:@community.team@social.example.org, x:@shop, bluesky:@shop.example.com"


def test_a_list_wraps_between_its_words_before_text_is_cut() -> None:
    columns = [Column("name", "left"), Column("targets", "left", wrap=True),
               Column("text", "left", shrink=8)]
    lines = _lines(columns, [["launch", HANDLES, "a short text here"]], 80)
    text = "\n".join(lines)
    assert all(cell_len(line) <= 80 for line in lines), text
    assert "a short text here" in text and "…" not in text  # the list gave way
    for handle in HANDLES.split(", "):
        assert handle in text, text


def test_when_nothing_else_helps_the_widest_column_folds_and_nothing_is_cut() -> None:
    handle = "mastodon:@a.very.long.handle.of.someone@mastodon.example.social"
    lines = _lines([Column("id", "left"), Column("account", "left"),
                    Column("when", "left")], [["12", handle, "2026-12-07 11:11"]], 60)
    text = "\n".join(lines)
    assert all(cell_len(line) <= 60 for line in lines), text
    assert "…" not in text and "2026-12-07 11:11" in text
    assert handle in "".join(line.split("│")[2].strip() for line in lines
                             if line.count("│") == 4)  # folded onto lines, all there


def test_cells_are_text_not_markup_and_the_note_names_the_switches_given() -> None:
    columns = [Column("from", "left"), Column("mood", "left", drop=1)]
    lines = _lines(columns, [["[bold]x[/bold] :x:", "positive" * 12]], 40,
                   shows_all=("--json",))
    text = "\n".join(lines)
    assert "[bold]x[/bold] :x:" in text and "❌" not in text
    note = " ".join(text.split())  # the caption wraps at the table's width
    assert "not shown at this width: mood (a wider terminal or --json shows them)" in note
