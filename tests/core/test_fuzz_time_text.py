"""Fuzz targets: the time parser and the text counters never fail in a way a person can't read.

Every target is bounded (``max_examples``, a per-example ``deadline``) so the
module adds a few seconds to the suite, and every test id is fixed (no random
parametrisation), so xdist workers collect the same tests. The properties:

* ``parse_when`` either returns a ``When`` whose text parses back to the same
  value, or raises a ``socialhub.errors`` error: offsets, zones, DST gaps and
  folds, far years and garbage included.
* the counters (``text_measure``, ``text_entities``) and the splitter
  (``text_split``) take any Unicode, emoji ZWJ sequences, combining marks,
  right-to-left text and lone surrogates included, without an uncaught
  exception; a split's parts each fit the limit they were given and, laid end
  to end, are the text's own words in order with nothing lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from socialhub.core.text_entities import (
    bluesky_facets,
    count_links,
    count_unique_links,
    encodable,
    find_hashtags,
    find_urls,
    grapheme_count,
    graphemes,
    is_emoji_grapheme,
    lone_surrogates,
    utf8_len,
    utf16_len,
)
from socialhub.core.when import MAX_OFFSET, When, parse_when
from socialhub.errors import SocialhubError, ValidationError
from socialhub.services.authoring.text_rules import (
    PLATFORMS,
    character_problems,
    measure,
    split_thread,
)

# Deadlines are generous (a loaded CI box) but finite: a pathological input must not hang.
BOUNDED = settings(max_examples=150, deadline=timedelta(seconds=5),
                   suppress_health_check=[HealthCheck.too_slow])
TEXT_BOUNDED = settings(max_examples=80, deadline=timedelta(seconds=10),
                        suppress_health_check=[HealthCheck.too_slow])

# --- the time parser ------------------------------------------------------------------

ZONES = sorted(available_timezones())  # sorted: the same strategy in every xdist worker
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
             "Pacific/Chatham", "Europe/Dublin", "Asia/Tehran", "America/St_Johns"]


def _assert_sound(when: When, text: str) -> None:
    assert when.utc.tzinfo is UTC, text
    assert when.local.tzinfo is None, text
    again = parse_when(str(when), "UTC")
    assert again == when, (text, str(when))
    if when.zone != "UTC":
        tz = ZoneInfo(when.zone)
        # Accepted local times exist and are unambiguous in their zone.
        assert when.utc.astimezone(tz).replace(tzinfo=None) == when.local, text


def _parse(text: str, default_zone: str = "UTC") -> When | None:
    try:
        when = parse_when(text, default_zone)
    except SocialhubError as exc:
        assert isinstance(exc, ValidationError), text
        assert "\n" not in str(exc), text  # one line
        return None
    _assert_sound(when, text)
    return when


offsets = st.builds(
    lambda sign, hours, minutes, colon: f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}",
    st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99), st.booleans())
suffixes = st.one_of(st.just(""), st.just("Z"), offsets,
                     st.sampled_from(ZONES).map(lambda z: " " + z),
                     st.sampled_from([" Mars/Olympus", " ../etc", " Europe", " UTC+1", " +1",
                                      " posixrules", " Etc/GMT-14"]))
local_times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))


@BOUNDED
@given(local=local_times, seconds=st.booleans(), sep=st.sampled_from("T "), suffix=suffixes)
@example(local=datetime(2027, 1, 10, 9), seconds=False, sep="T", suffix="+99:00")
@example(local=datetime(1, 1, 1), seconds=False, sep=" ", suffix="+01:00")
@example(local=datetime(9999, 12, 31, 23, 59), seconds=False, sep=" ", suffix=" Pacific/Apia")
@example(local=datetime(999, 5, 5, 5, 5), seconds=True, sep="T", suffix="Z")
def test_any_date_time_and_suffix_parses_soundly_or_is_refused_in_one_line(
        local: datetime, seconds: bool, sep: str, suffix: str) -> None:
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d}{sep}{clock}{suffix}"
    when = _parse(text)
    if when is not None and suffix not in ("", "Z") and suffix[0] in "+-":
        sign = -1 if suffix[0] == "-" else 1
        digits = suffix[1:].replace(":", "")
        delta = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        assert abs(delta) <= MAX_OFFSET and int(digits[2:]) < 60, text
        written = local.replace(second=local.second if seconds else 0, microsecond=0)
        assert when.utc.replace(tzinfo=None) == written - delta


def _next_transition(tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first UTC instant after ``after`` at which ``tz`` changes its offset (to the minute)."""
    low = after.replace(tzinfo=UTC, second=0, microsecond=0)
    offset = low.astimezone(tz).utcoffset()
    for _ in range(60):  # about fourteen months of weeks
        high = low + timedelta(days=7)
        if high.astimezone(tz).utcoffset() != offset:
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
        low = high
    return None


@BOUNDED
@given(zone=st.sampled_from(DST_ZONES),
       after=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
       minutes=st.integers(-90, 90))
def test_times_around_dst_changes_are_kept_or_refused_never_guessed(
        zone: str, after: datetime, minutes: int) -> None:
    tz = ZoneInfo(zone)
    change = _next_transition(tz, after)
    if change is None:
        return  # the zone stopped changing its clocks
    before = (change - timedelta(minutes=1)).astimezone(tz).utcoffset()
    assert before is not None
    # The wall-clock time at the change by the old offset: the edge of the gap or fold.
    wall = change.replace(tzinfo=None) + before + timedelta(minutes=minutes)
    text = f"{wall.isoformat(sep=' ', timespec='minutes')} {zone}"
    try:
        when = parse_when(text, "UTC")
    except ValidationError as exc:
        message = str(exc)
        assert "does not exist" in message or "happens twice" in message, message
        early, late = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
        assert early.utcoffset() != late.utcoffset()  # refused only at a real gap or fold
        return
    _assert_sound(when, text)


@BOUNDED
@given(text=st.text(alphabet=st.characters(exclude_categories=()), max_size=80)
       | st.text(alphabet="0123456789-:+TZ /aAzZ_", max_size=40),
       zone=st.sampled_from(["UTC", "Europe/Berlin", "Nowhere/Zone"]))
@example(text="2026-02-30 09:00", zone="UTC")
@example(text="2026-12-01 24:00", zone="UTC")
@example(text="2026-12-01 09:00\ud800", zone="UTC")
@example(text="0000-01-01 00:00", zone="UTC")
def test_garbage_is_refused_with_a_socialhub_error(text: str, zone: str) -> None:
    _parse(text, zone)


# --- the text counters and the splitter -------------------------------------------------

ZWJ_EMOJI = ["👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏽‍💻", "🧑‍🤝‍🧑", "❤️‍🔥", "🇩🇪", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "\u200d", "\ufe0f"]
COMBINING = ["e\u0301", "\u0301", "a\u0308\u0323", "Z\u0351\u0352\u0353\u0354\u0355", "ก\u0e31"]
RTL = ["שלום", "مرحبا بالعالم", "\u202eevil\u202c", "\u200f", "ا\u064b"]
SURROGATES = ["\ud800", "\udfff", "\udc00a", "x\ud83d"]  # lone halves: not valid Unicode
ENTITIES = ["https://example.com/a?b=1", "example.org", "@alice.bsky.social", "@bob@example.social",
            "#tag", "#日本", "http://[::1]/", "www.", "#", "@"]
SPACES = [" ", "\n", "\n\n", "\t", "\r\n", "\u3000", "\u00a0", "\u2028", "\u200b"]

pieces = st.one_of(
    st.sampled_from(ZWJ_EMOJI + COMBINING + RTL + SURROGATES + ENTITIES),
    st.text(alphabet=st.characters(exclude_categories=()), min_size=1, max_size=8),
    st.text(alphabet="abcdefghij.!?", min_size=1, max_size=12),
)
unicode_texts = st.lists(st.tuples(pieces, st.sampled_from(SPACES)), max_size=40).map(
    lambda pairs: "".join(p + s for p, s in pairs))


@TEXT_BOUNDED
@given(text=unicode_texts)
@example(text="👨‍👩‍👧‍👦\ud800 שלום e\u0301 #tag https://example.com")
def test_counters_take_any_unicode_and_agree_with_themselves(text: str) -> None:
    clusters = graphemes(text)
    assert "".join(clusters) == text
    assert grapheme_count(text) == len(clusters)
    assert utf8_len(text) >= len(text)
    assert utf16_len(text) >= len(text)
    assert all(isinstance(is_emoji_grapheme(c), bool) for c in clusters)
    assert "".join(lone_surrogates(text)) == "".join(c for c in text if 0xD800 <= ord(c) <= 0xDFFF)
    safe = encodable(text)
    safe.encode("utf-8")  # strict: no lone surrogate left
    assert len(safe) == len(text)
    for span in [*find_urls(text), *find_hashtags(text)]:
        assert 0 <= span.start < span.end <= len(text)
    assert 0 <= count_unique_links(text) <= count_links(text)
    size = utf8_len(text)
    for facet in bluesky_facets(text):
        index = facet["index"]
        assert 0 <= index["byteStart"] < index["byteEnd"] <= size
    for platform in PLATFORMS:
        result = measure(text, platform)
        assert result.length >= 0
        assert result.valid == (not result.problems)
        if lone_surrogates(text):
            assert not result.valid and character_problems(text, platform)


def _laid_end_to_end(text: str, parts: list[str]) -> None:
    """Each part is the text's own slice, in order, with only whitespace between them."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, (text, parts)
        assert not text[position:found] or text[position:found].isspace(), (text, parts)
        position = found + len(part)
    assert not text[position:] or text[position:].isspace(), (text, parts)


@TEXT_BOUNDED
@given(text=unicode_texts, platform=st.sampled_from(PLATFORMS), limit=st.integers(20, 200))
@example(text="👨‍👩‍👧‍👦 " * 40, platform="bluesky", limit=20)
@example(text="مرحبا بالعالم " * 20, platform="x", limit=25)
def test_split_parts_fit_their_limit_and_lose_no_text(
        text: str, platform: str, limit: int) -> None:
    try:
        parts = split_thread(text, platform, limit=limit)
    except ValidationError as exc:
        assert str(exc).startswith("cannot split for "), str(exc)
        assert "\n" not in str(exc)
        return
    assert all(measure(part, platform, limit=limit).valid for part in parts)
    if all(cluster.isspace() for cluster in graphemes(text)):
        assert parts == []  # blank text: nothing to post, nothing lost
        return
    _laid_end_to_end(text, parts)


@TEXT_BOUNDED
@given(text=unicode_texts, platform=st.sampled_from(["x", "bluesky", "mastodon", "threads"]),
       limit=st.integers(40, 200))
def test_numbered_split_parts_fit_with_their_counters_and_lose_no_text(
        text: str, platform: str, limit: int) -> None:
    try:
        parts = split_thread(text, platform, limit=limit, number=True)
    except ValidationError as exc:
        assert str(exc).startswith("cannot split for "), str(exc)
        return
    bare = []
    for index, part in enumerate(parts, start=1):
        counter = f" {index}/{len(parts)}"
        assert part.endswith(counter)
        assert measure(part, platform, limit=limit).valid
        bare.append(part[: -len(counter)])
    _laid_end_to_end(text, bare)
