"""Thread splitting (socialhub.core.text.split_thread): every part fits, nothing is cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.core.text import find_urls, graphemes
from socialhub.errors import ValidationError
from socialhub.services.authoring.text_rules import PLATFORMS, measure, rules_for, split_thread

FAMILY = "👨\u200d👩\u200d👧\u200d👧"
COUNTER_RE = re.compile(r" (\d+)/(\d+)$")


def _offsets(text: str, parts: list[str]) -> list[tuple[int, int]]:
    """Where each (unnumbered) part sits in the original text, in order."""
    spans, cursor = [], 0
    for part in parts:
        start = text.index(part, cursor)
        spans.append((start, start + len(part)))
        cursor = start + len(part)
    return spans


def _grapheme_boundaries(text: str) -> set[int]:
    bounds, pos = {0}, 0
    for cluster in graphemes(text):
        pos += len(cluster)
        bounds.add(pos)
    return bounds


def test_text_that_fits_comes_back_as_one_part() -> None:
    text = "Short and sweet.\n\nTwo paragraphs, still short."
    assert split_thread(text, "x") == [text]


def test_blank_text_gives_no_parts() -> None:
    assert split_thread("", "bluesky") == []
    assert split_thread(" \n\t ", "mastodon") == []


def test_cuts_prefer_a_paragraph_break() -> None:
    first = "One two three four five six seven eight nine ten eleven twelve. " * 2
    second = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu."
    text = first.strip() + "\n\n" + second
    parts = split_thread(text, "sandbox", limit=len(first) + 40)
    assert parts == [first.strip(), second]


def test_cuts_prefer_a_sentence_end_over_a_word_boundary() -> None:
    text = ("The first sentence is here and it is long enough. "
            "Then a second one follows it closely and runs on and on without end")
    parts = split_thread(text, "x", limit=70)
    assert parts[0] == "The first sentence is here and it is long enough."
    assert all(measure(p, "x", limit=70).valid for p in parts)


def test_word_boundaries_fill_parts_when_no_sentence_end_is_near() -> None:
    text = " ".join(["word"] * 100)
    parts = split_thread(text, "x", limit=50)
    assert all(len(p) >= 44 for p in parts[:-1])  # ~full, cut between words
    assert " ".join(parts) == text


def test_urls_mentions_and_hashtags_are_never_cut() -> None:
    url = "https://example.com/a/very/long/path/that/goes/on?query=1&more=2"
    text = f"Read {url} now @alice.bsky.social says #launchday is here " * 6
    parts = split_thread(text, "bluesky", limit=90)
    words = text.split()
    for part in parts:
        for word in part.split():
            assert word in words
    assert sum(p.count(url) for p in parts) == 6


def test_x_parts_may_hold_long_urls_because_urls_count_23() -> None:
    url = "https://example.com/" + "x" * 200
    text = f"{url} {url} {url} {url}"
    parts = split_thread(text, "x")
    assert len(parts) == 1  # 4 × 23 + 3 = 95 weighted characters
    assert measure(parts[0], "x").length == 95


def test_bluesky_parts_respect_the_byte_limit_too() -> None:
    text = " ".join([FAMILY] * 200)  # 399 graphemes, 5199 bytes
    parts = split_thread(text, "bluesky")
    assert len(parts) >= 2
    for part in parts:
        result = measure(part, "bluesky")
        assert result.valid and result.details["bytes"] <= 3000


def test_instagram_parts_respect_the_hashtag_cap() -> None:
    text = " ".join(f"#tag{i}" for i in range(45))
    parts = split_thread(text, "instagram")
    assert [measure(p, "instagram").details["hashtags"] for p in parts] == [30, 15]


def test_mastodon_split_uses_the_instance_limit() -> None:
    text = " ".join(["word"] * 300)  # 1499 graphemes
    assert len(split_thread(text, "mastodon")) == 3
    assert len(split_thread(text, "mastodon", limit=5000)) == 1


def test_numbered_parts_end_with_counters_and_still_fit() -> None:
    text = " ".join(f"w{i}" for i in range(400))
    parts = split_thread(text, "x", limit=60, number=True)
    total = len(parts)
    assert total > 10  # the counter's width changes at 10 parts
    for index, part in enumerate(parts, start=1):
        match = COUNTER_RE.search(part)
        assert match is not None and match.groups() == (str(index), str(total))
        assert measure(part, "x", limit=60).valid
    unnumbered = [COUNTER_RE.sub("", p) for p in parts]
    assert " ".join(unnumbered).split() == text.split()


def test_one_part_is_numbered_one_of_one() -> None:
    assert split_thread("hello", "x", number=True) == ["hello 1/1"]


def test_an_unbreakable_token_over_the_limit_is_refused_saying_so() -> None:
    with pytest.raises(ValidationError) as caught:
        split_thread("short " + "x" * 600, "mastodon")
    message = str(caught.value)
    assert "unbreakable" in message
    assert "600 graphemes, over the 500 limit" in message


def test_a_token_that_only_misses_because_of_the_counter_is_refused_saying_so() -> None:
    with pytest.raises(ValidationError, match="counter"):
        split_thread("a " + "b" * 279, "x", number=True)
    assert split_thread("a " + "b" * 279, "x") == ["a", "b" * 279]


def test_characters_the_platform_refuses_cannot_be_split_away() -> None:
    with pytest.raises(ValidationError, match="U\\+FEFF"):
        split_thread("hello \ufeff world", "x")


def test_unknown_platform_is_refused() -> None:
    with pytest.raises(ValidationError, match="known platforms"):
        split_thread("hello", "friendster")


def test_a_grapheme_starting_with_a_space_stays_whole() -> None:
    text = "abc \u0301def ghi"  # " \u0301" is one grapheme: not a place to cut
    parts = split_thread(text, "sandbox", limit=8)
    assert parts == ["abc \u0301def", "ghi"]


# --- properties ------------------------------------------------------------------

words = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Z", "C")),
            min_size=1, max_size=12),
    st.sampled_from(["https://example.com/path?q=1", "example.org", "@bob@example.social",
                     "@alice.bsky.social", "#tag", "#1st", FAMILY, "🇩🇪", "e\u0301",
                     "end.", "Why?", "日本語", "\u0301"]),
)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", "\t", "\r\n", "\u3000"])
texts = st.lists(st.tuples(words, separators), min_size=1, max_size=60).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=60, deadline=None)
@given(text=texts, platform=st.sampled_from(PLATFORMS), limit=st.integers(30, 120))
def test_split_parts_are_valid_and_keep_every_word_in_order(
    text: str, platform: str, limit: int
) -> None:
    try:
        parts = split_thread(text, platform, limit=limit)
    except ValidationError as exc:
        # Refused only for a token that cannot fit alone, or a refused character.
        assert "unbreakable" in str(exc) or "refuses" in str(exc)
        return
    for part in parts:
        assert measure(part, platform, limit=limit).valid
    assert " ".join(parts).split() == text.split()
    spans = _offsets(text, parts)
    bounds = _grapheme_boundaries(text)
    for start, end in spans:
        assert start in bounds and end in bounds
        assert text[start:end].strip() or not text[start:end]
    for url in find_urls(text):
        assert any(s <= url.start and url.end <= e for s, e in spans), url


@settings(max_examples=40, deadline=None)
@given(text=texts, platform=st.sampled_from(["x", "bluesky", "mastodon", "threads"]))
def test_numbered_split_parts_are_valid_and_counted(text: str, platform: str) -> None:
    limit = 60 if rules_for(platform).unit != "utf8-emoji" else 80
    try:
        parts = split_thread(text, platform, limit=limit, number=True)
    except ValidationError:
        return
    for index, part in enumerate(parts, start=1):
        assert part.endswith(f" {index}/{len(parts)}")
        assert measure(part, platform, limit=limit).valid
    assert " ".join(COUNTER_RE.sub("", p) for p in parts).split() == text.split()


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=400), platform=st.sampled_from(PLATFORMS))
def test_split_of_arbitrary_text_returns_valid_parts_or_a_clear_refusal(
    text: str, platform: str
) -> None:
    try:
        parts = split_thread(text, platform, limit=40)
    except ValidationError as exc:
        assert str(exc).startswith("cannot split for ")
        return
    assert all(measure(p, platform, limit=40).valid for p in parts)
