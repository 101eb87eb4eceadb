"""The beets-like music query language: parsing, compiling, and what it rejects."""

from __future__ import annotations

import pytest

from socialhub.search.fts import QueryError
from socialhub.search.music_query import Term, compile_query, parse_query


def test_free_words_field_values_and_quoted_values_parse_into_terms() -> None:
    q = parse_query('sunset artist:"the two words" genre:house')
    assert q.terms == (
        Term("free", "sunset"),
        Term("text", "the two words", "artist"),
        Term("text", "house", "genre"),
    )


def test_numeric_ranges_accept_open_ends_and_minutes_seconds() -> None:
    q = parse_query("year:1990..1999 bpm:120.. duration:..3:30")
    assert [(t.field, t.low, t.high) for t in q.terms] == [
        ("year", 1990, 1999), ("bpm", 120, None), ("duration", None, 210)]


def test_date_ranges_cover_whole_periods() -> None:
    (term,) = parse_query("added:2024-01..2024-02").terms
    assert (term.low, term.high) == ("2024-01-01", "2024-03-01")
    (term,) = parse_query("date:1999").terms
    assert (term.low, term.high) == ("1999-01-01", "2000-01-01")


def test_negation_and_sort_keys() -> None:
    q = parse_query("-genre:jazz -live year- artist+")
    assert [(t.kind, t.negate) for t in q.terms] == [("text", True), ("free", True)]
    assert q.sort == (("year", True), ("artist", False))


def test_aliases_map_to_fields() -> None:
    (term,) = parse_query("length:200..").terms
    assert term.field == "duration"


@pytest.mark.parametrize("text, fragment", [
    ("colour:red", "unknown field 'colour'"),
    ("year:abc", "not a number"),
    ("added:yesterday", "not a date"),
    ("added:2024-13", "not a valid date"),
    ("genre:", "needs a value"),
    ("year:..", "at least one end"),
])
def test_bad_terms_raise_query_errors_that_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=fragment):
        parse_query(text)


def test_values_never_reach_the_sql_text() -> None:
    compiled = compile_query(parse_query("artist:\"x' OR 1=1 --\" year:1990 nice"))
    assert "OR 1=1" not in compiled.where
    assert "x' OR 1=1 --" in str(compiled.params)


def test_sort_always_ends_with_id_for_stable_pages() -> None:
    assert compile_query(parse_query("year-")).order_by.endswith("id ASC")
    assert compile_query(parse_query("")).order_by.endswith("id ASC")


def test_like_wildcards_in_values_are_literal() -> None:
    compiled = compile_query(parse_query("title:100%_"))
    assert compiled.params == ["%100\\%\\_%"]
