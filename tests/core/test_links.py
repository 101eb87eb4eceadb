"""UTM tagging and short links as text: what a post's links become, and how long they count."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from socialhub.core.links import (
    DEFAULT_UTM,
    LinkStyle,
    LinkValues,
    as_sent,
    short_base_problem,
    tag_url,
    template_errors,
)
from socialhub.core.text_measure import measure
from socialhub.platforms.registry import rules_for

SPRING = LinkValues(platform="bluesky", campaign="spring", post="launch",
                    account="shop.example.com")


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_tagging_keeps_the_existing_query_and_the_fragment() -> None:
    text = "New: https://shop.example/p?id=7&ref=home#reviews today"
    sent = as_sent(text, LinkStyle(), SPRING)
    url = sent.split()[1]
    assert url.startswith("https://shop.example/p?id=7&ref=home&")
    assert url.endswith("#reviews")
    assert _query(url) == [("id", "7"), ("ref", "home"), ("utm_source", "bluesky"),
                           ("utm_medium", "social"), ("utm_campaign", "spring"),
                           ("utm_content", "launch-bluesky-shop.example.com")]
    assert sent.startswith("New: ") and sent.endswith(" today")


def test_utm_parameters_the_author_wrote_win_over_the_template() -> None:
    url = tag_url("https://a.example/?utm_source=newsletter", {"utm_source": "x",
                                                               "utm_medium": "social"})
    assert _query(url) == [("utm_source", "newsletter"), ("utm_medium", "social")]


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky"])
def test_each_network_gets_its_own_source(platform: str) -> None:
    values = LinkValues(platform=platform, campaign="spring", post="p", account="shop")
    url = as_sent("https://a.example/x", LinkStyle(), values)
    assert dict(_query(url))["utm_source"] == platform


def test_posts_outside_a_campaign_and_sentence_punctuation_are_left_alone() -> None:
    text = "See https://a.example/x. And (https://b.example/y)."
    assert as_sent(text, LinkStyle(), LinkValues("x", None, "p", "h")) == text
    sent = as_sent(text, LinkStyle(), SPRING)
    assert "x?utm_source=bluesky" in sent and sent.count(").") == 1
    assert sent.endswith("-bluesky-shop.example.com).")


def test_shortened_links_point_at_the_base_with_a_code() -> None:
    style = LinkStyle(shorten=True, short_base="https://go.example")
    seen: list[tuple[str, str]] = []

    def code_for(url: str, tagged: str) -> str:
        seen.append((url, tagged))
        return "Ab3dE9xZ"

    sent = as_sent("Buy https://shop.example/p?id=1 now", style, SPRING, code_for)
    assert sent == "Buy https://go.example/l/Ab3dE9xZ now"
    assert seen[0][0] == "https://shop.example/p?id=1"
    assert dict(_query(seen[0][1]))["utm_campaign"] == "spring"
    # Our own short links are never shortened again.
    assert as_sent(sent, style, SPRING, code_for) == sent


def test_x_counts_a_tagged_url_as_23_and_bluesky_counts_every_character() -> None:
    text = "Spring is here https://shop.example.com/spring"
    sent = as_sent(text, LinkStyle(), SPRING)
    assert len(sent) > len(text) + 60
    x = rules_for("x")
    assert measure(sent, x).length == measure(text, x).length
    bluesky = rules_for("bluesky")
    assert measure(sent, bluesky).length == len(sent)
    short = as_sent(text, LinkStyle(shorten=True, short_base="https://go.example"), SPRING)
    assert measure(short, bluesky).length == len("Spring is here https://go.example/l/") + 8


def test_unknown_placeholders_and_bad_names_are_errors() -> None:
    assert template_errors(DEFAULT_UTM) == []
    problems = dict(template_errors({"utm_source": "{network}", "bad name": "x",
                                     "utm_term": "{post", "utm_content": "{variant}-{{x}}"}))
    assert "unknown placeholder {network}" in problems["utm_source"]
    assert "bad name" in problems
    assert "utm_term" in problems
    assert "utm_content" not in problems


@pytest.mark.parametrize(("url", "ok"), [
    ("https://go.example", True), ("https://go.example/s", True),
    ("http://127.0.0.1:8765", True), ("http://localhost:8765", True), ("http://[::1]:1", True),
    ("http://go.example", False), ("ftp://go.example", False), ("go.example", False),
    ("https://go.example/?a=1", False)], ids=lambda v: str(v))
def test_the_short_base_must_be_https_except_on_loopback(url: str, ok: bool) -> None:
    assert (short_base_problem(url) is None) is ok
