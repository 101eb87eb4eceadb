"""The TUI tables' column widths: free text gives way first, then optional columns
leave, and a whole value is folded (its row grows), never cut."""

from __future__ import annotations

from socialhub.tui.widgets.fit_columns import COLUMN_OVERHEAD, Column, fit_columns

COLUMNS = (Column("id"), Column("account"), Column("tries", drop=2),
           Column("error", shrink=8, drop=1))
ROW = ["12", "bluesky:@shop.example.com", "3", "HTTP 503 from the server, try later"]


def room(*widths: int) -> int:
    return sum(w + COLUMN_OVERHEAD for w in widths)


def test_everything_shows_at_its_own_width_when_there_is_room() -> None:
    assert fit_columns(COLUMNS, [ROW], 200) == [2, 25, 5, 35]


def test_free_text_is_cut_before_any_column_leaves() -> None:
    assert fit_columns(COLUMNS, [ROW], room(2, 25, 5, 10)) == [2, 25, 5, 10]


def test_optional_columns_leave_highest_rank_first() -> None:
    # Even cut to 8 cells the error does not fit beside tries: tries (rank 2) leaves,
    # and what the error was cut by comes back to it.
    assert fit_columns(COLUMNS, [ROW], room(2, 25, 8)) == [2, 25, None, 8]
    assert fit_columns(COLUMNS, [ROW], room(2, 25, 12)) == [2, 25, None, 12]
    # No room for 8 cells of error: it leaves too, and tries comes back as it fits now.
    assert fit_columns(COLUMNS, [ROW], room(2, 25, 5)) == [2, 25, 5, None]


def test_a_whole_value_too_wide_for_the_screen_is_folded_never_cut_short() -> None:
    widths = fit_columns(COLUMNS, [ROW], room(2, 20))
    assert widths == [2, 20, None, None]  # the account takes two lines of its row
