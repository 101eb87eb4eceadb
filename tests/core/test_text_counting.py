"""Each platform's length, as the platform counts it (socialhub.core.text.measure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.core.text import (
    REDDIT_TITLE_LIMIT,
    bluesky_facets,
    find_hashtags,
    mastodon_length,
    threads_length,
)
from socialhub.errors import ValidationError
from socialhub.services.authoring.text_rules import PLATFORMS, measure, rules_for

FAMILY = "👨\u200d👩\u200d👧\u200d👧"  # one grapheme, 7 code points, 25 UTF-8 bytes
FAMILY_BOY = "👨\u200d👩\u200d👧\u200d👦"
POEM = "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"  # 32 CJK characters


# --- the platform table ---------------------------------------------------------


def test_every_platform_has_rules_with_its_own_name() -> None:
    shipped = ("sandbox", "bluesky", "mastodon", "x", "linkedin", "threads",
               "instagram", "facebook", "reddit", "pinterest", "youtube", "tiktok")
    # Every network socialhub ships is registered, in this order; a network added
    # later (its sub-package and a registry line) joins without editing this test.
    assert tuple(p for p in PLATFORMS if p in shipped) == shipped
    for platform in PLATFORMS:
        assert rules_for(platform).platform == platform


@pytest.mark.parametrize(
    ("platform", "limit", "unit", "threads", "requires_media", "byte_limit"),
    [
        ("sandbox", 500, "graphemes", True, False, None),
        ("bluesky", 300, "graphemes+bytes", True, False, 3000),
        ("mastodon", 500, "graphemes", True, False, None),
        ("x", 280, "weighted", True, False, None),
        ("linkedin", 3000, "utf16", False, False, None),
        ("threads", 500, "utf8-emoji", True, False, None),
        ("instagram", 2200, "chars", False, True, None),
        ("facebook", 63206, "chars", False, False, None),
        ("reddit", 40000, "chars", False, False, None),
        ("pinterest", 800, "chars", False, True, None),
        ("youtube", 5000, "bytes", False, True, None),
        ("tiktok", 2200, "utf16", False, True, None),
    ],
)
def test_default_rules_match_the_platform_docs(
    platform: str, limit: int, unit: str, threads: bool, requires_media: bool,
    byte_limit: int | None,
) -> None:
    rules = rules_for(platform)
    assert (rules.limit, rules.unit, rules.supports_threads, rules.requires_media,
            rules.byte_limit) == (limit, unit, threads, requires_media, byte_limit)


def test_instagram_caps_hashtags_at_30_and_threads_caps_links_at_5() -> None:
    assert rules_for("instagram").max_hashtags == 30
    assert rules_for("threads").max_links == 5


def test_unknown_platform_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        rules_for("myspace")
    assert "myspace" in str(caught.value)
    for platform in PLATFORMS:
        assert platform in str(caught.value)
    with pytest.raises(ValidationError):
        measure("hi", "myspace")


# --- exact limits per platform: the last valid length and the first invalid one ---


@pytest.mark.parametrize(
    ("platform", "unit_text", "fits"),
    [
        ("sandbox", "a", 500),
        ("sandbox", FAMILY, 500),  # graphemes, not code points
        ("bluesky", "a", 300),
        ("bluesky", "é", 300),
        ("mastodon", "a", 500),
        ("mastodon", FAMILY, 500),
        ("x", "a", 280),
        ("x", "日", 140),  # outside the weight-1 ranges: weighs 2
        ("x", "😷", 140),  # an emoji weighs 2
        ("x", FAMILY, 140),  # a whole ZWJ sequence weighs 2
        ("linkedin", "a", 3000),
        ("linkedin", "😀", 1500),  # a surrogate pair is 2 UTF-16 units
        ("threads", "a", 500),
        ("threads", "😀", 125),  # emoji count their 4 UTF-8 bytes
        ("instagram", "a", 2200),
        ("facebook", "a", 63206),
        ("reddit", "a", 40000),
        ("pinterest", "a", 800),
        ("youtube", "a", 5000),
        ("youtube", "é", 2500),  # 2 UTF-8 bytes each
        ("tiktok", "a", 2200),
        ("tiktok", "😀", 1100),
    ],
)
def test_limit_is_inclusive_and_one_more_unit_is_over(
    platform: str, unit_text: str, fits: int
) -> None:
    at_limit = measure(unit_text * fits, platform)
    assert at_limit.valid, at_limit.problems
    assert at_limit.length == at_limit.limit
    over = measure(unit_text * (fits + 1), platform)
    assert not over.valid
    assert over.length > over.limit
    assert over.problems[0].startswith(f"{over.length} ")
    assert f"over the {over.limit} limit" in over.problems[0]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_empty_text_is_invalid_and_says_media_must_carry_the_post(platform: str) -> None:
    result = measure("", platform)
    assert (result.length, result.valid) == (0, False)
    assert any("empty text" in p and "media" in p for p in result.problems)


# --- X: twitter-text v3 conformance ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted", "valid"),
    [
        # PLATFORMS.md §2.1 worked example (v3 counts the family as one emoji).
        ("H🐱☺" + FAMILY_BOY, 7, True),
        # twitter-text conformance/tests/validate.yml (config v3 section).
        ("😷👾😡🔥💩", 10, True),
        ("Unicode 9.0 emoji: 🤠; 💃; 💃🏾", 29, True),
        ("ABC\u202a\uffffABC\ufffe", 12, False),
        ("\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31, True),
        ("A\u0301B", 2, True),  # NFC: A + combining acute is one character
        ("A\ufb2c", 4, True),  # NFC decomposes U+FB2C into three weight-1 characters
        ("Test https://test.com test https://test.com test.com test", 86, True),
        ("https://www.twitter.com/aloha " * 10, 240, True),
        ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", 68, True),
        ("the" + POEM * 5, 323, False),
        ("the" + POEM * 2, 131, True),
        ("😷" * 160, 320, False),
        (FAMILY_BOY * 140, 280, True),
        ("\U00010000\U0010ffff", 4, True),  # non-emoji astral characters weigh 2
        ("\u2000\u200a\u2010\u201f\u2032\u2037", 6, True),  # the other weight-1 ranges
    ],
)
def test_x_weighted_length_matches_twitter_text(text: str, weighted: int, valid: bool) -> None:
    result = measure(text, "x")
    assert (result.length, result.valid) == (weighted, valid)


@pytest.mark.parametrize("char", ["\ufffe", "\ufeff", "\uffff"])
def test_x_refuses_the_three_invalid_characters_by_name(char: str) -> None:
    result = measure(f"hello{char}", "x")
    assert not result.valid
    assert f"contains U+{ord(char):04X}" in " ".join(result.problems)
    assert measure(f"hello{char}", "mastodon").valid  # only X refuses them


def test_x_counts_every_url_as_23_even_when_shorter_or_longer() -> None:
    assert measure("t.co", "x").length == 23
    assert measure("https://example.com/" + "p" * 200, "x").length == 23


def test_x_limit_override_supports_long_posts() -> None:
    text = "a" * 1000
    assert not measure(text, "x").valid
    assert measure(text, "x", limit=25000).valid


# --- Bluesky ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "graphemes", "size"),
    [("Hello!", 6, 6), (FAMILY, 1, 25), (FAMILY + "🔥 good!✅", 9, 38)],
)
def test_bluesky_counts_graphemes_and_bytes_like_the_sdk(
    text: str, graphemes: int, size: int
) -> None:
    result = measure(text, "bluesky")
    assert (result.length, result.details["bytes"]) == (graphemes, size)


def test_bluesky_refuses_300_graphemes_that_exceed_3000_bytes() -> None:
    text = FAMILY * 121  # 121 graphemes, 3025 bytes
    result = measure(text, "bluesky")
    assert result.length == 121
    assert not result.valid
    assert "3025 UTF-8 bytes, over the 3000 byte limit" in result.problems
    assert measure(FAMILY * 120, "bluesky").valid  # 3000 bytes exactly


def test_bluesky_counts_a_url_at_its_full_length() -> None:
    url = "https://example.com/" + "a" * 30
    assert measure(url, "bluesky").length == len(url)


# --- Mastodon: the server rule and its spec cases ------------------------------


@pytest.mark.parametrize(
    ("text", "spoiler", "length", "valid"),
    [
        ("a" * 520, "", 520, False),
        ("", "a" * 520, 520, False),
        ("b" * 251, "a" * 250, 501, False),
        ("a" * 476 + " http://" + "b" * 30 + ".com/example", "", 500, True),
        ("a" * 475 + " @alice@" + "b" * 30 + ".com", "", 482, True),
        ("hi @bob@example.com", "", 7, True),
        ("see example.com here", "", 20, True),  # scheme-less: literal on the server
        ("@bob is local", "", 13, True),
        ("mail me@example.com", "", 19, True),  # an address is not a mention
        ("http://x.co", "", 23, True),  # a short URL still counts 23
        ("#hashtag :blobcat:", "", 18, True),
        (FAMILY + " ok", "", 4, True),
        ("   ", "", 0, False),  # blank text counts nothing
    ],
)
def test_mastodon_counts_like_the_server_validator(
    text: str, spoiler: str, length: int, valid: bool
) -> None:
    assert mastodon_length(text, spoiler) == length
    result = measure(text, "mastodon", spoiler_text=spoiler)
    assert (result.length, result.valid) == (length, valid)


def test_mastodon_limit_comes_from_the_instance_when_known() -> None:
    result = measure("a" * 520, "mastodon", limit=1000)
    assert (result.valid, result.limit) == (True, 1000)


# --- Threads, Instagram, YouTube, Reddit ----------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [("hello", 5), ("😀", 4), (FAMILY, 25), ("🇩🇪", 8), ("#\ufe0f\u20e3", 7), ("é", 1),
     ("e\u0301", 2), ("日本", 2), ("©", 2)],
)
def test_threads_counts_emoji_as_their_utf8_bytes(text: str, length: int) -> None:
    assert threads_length(text) == length
    assert measure(text, "threads").length == length


def test_threads_allows_five_distinct_links() -> None:
    five = " ".join(f"https://example.com/{i}" for i in range(5))
    assert measure(five, "threads").valid
    six = five + " https://example.org/"
    result = measure(six, "threads")
    assert not result.valid
    assert "6 links, Threads allows 5" in result.problems
    assert measure(" ".join(["https://example.com/"] * 8), "threads").valid


def test_instagram_hashtag_cap_is_30_by_default_and_a_parameter() -> None:
    tags = " ".join(f"#tag{i}" for i in range(31))
    result = measure(tags, "instagram")
    assert not result.valid
    assert "31 hashtags, Instagram allows 30" in result.problems
    assert result.details["hashtags"] == 31
    assert measure(" ".join(f"#tag{i}" for i in range(30)), "instagram").valid
    assert not measure("#one #two #three #four #five #six", "instagram", max_hashtags=5).valid
    assert measure("#one #two #three #four #five", "instagram", max_hashtags=5).valid


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#hashtag", ["#hashtag"]),
        ("#1st #that1time #easyas123", ["#1st", "#that1time", "#easyas123"]),
        ("#12345", []),  # all digits is not a hashtag
        ("#ашок #트위터", ["#ашок", "#트위터"]),
        ("a#b", []),
        ("see https://example.com/#anchor", []),
        ("#️⃣ keycap", []),
        ("(#inbrackets), #end.", ["#inbrackets", "#end"]),
    ],
)
def test_hashtags_are_found_as_readers_see_them(text: str, tags: list[str]) -> None:
    assert [t.text for t in find_hashtags(text)] == tags


def test_youtube_refuses_angle_brackets_in_a_description() -> None:
    result = measure("a <b> c", "youtube")
    assert not result.valid
    assert "contains < and >, which YouTube refuses" in result.problems


def test_reddit_measures_the_body_and_the_title_limit_is_available() -> None:
    assert measure("a" * 301, "reddit").valid
    assert not measure("a" * 301, "reddit", limit=REDDIT_TITLE_LIMIT).valid


def test_details_count_hashtags_and_links_everywhere() -> None:
    for platform in PLATFORMS:
        details = measure("Go #launch https://example.com and example.org", platform).details
        assert (details["hashtags"], details["links"]) == (1, 2)


# --- Bluesky facets --------------------------------------------------------------


def test_bluesky_facets_use_utf8_byte_offsets() -> None:
    text = "✨ hi @alice.bsky.social see https://example.com/x. #tag! done"
    facets = bluesky_facets(text)
    raw = text.encode()
    sliced = [raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in facets]
    assert sliced == ["@alice.bsky.social", "https://example.com/x", "#tag"]
    assert facets[0]["index"] == {"byteStart": 7, "byteEnd": 25}
    assert facets[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "handle": "alice.bsky.social"}
    ]
    assert facets[1]["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/x"}
    ]
    assert facets[2]["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}]


def test_bluesky_facets_skip_non_handles_numbers_and_emails() -> None:
    assert bluesky_facets("email me@example.com, @nodot, #123, see example.com") == []


def test_bluesky_link_keeps_balanced_parentheses_and_drops_a_stray_one() -> None:
    text = "(see https://en.wikipedia.org/wiki/Foo_(bar)) and (https://example.com/a)"
    uris = [f["features"][0]["uri"] for f in bluesky_facets(text)]
    assert uris == ["https://en.wikipedia.org/wiki/Foo_(bar)", "https://example.com/a"]


# --- properties ------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


@settings(max_examples=150, deadline=None)
@given(text=any_text, platform=st.sampled_from(PLATFORMS))
def test_measure_never_raises_on_arbitrary_text(text: str, platform: str) -> None:
    result = measure(text, platform)
    assert result.length >= 0
    assert result.valid == (0 < result.length <= result.limit and not result.problems)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_bluesky_facets_always_slice_whole_utf8_characters(text: str) -> None:
    raw = text.encode()
    for facet in bluesky_facets(text):
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert 0 <= start < end <= len(raw)
        raw[start:end].decode()  # never cuts a multi-byte character
