"""`socialhub text measure` and `socialhub text split`, run in-process."""

from __future__ import annotations

from collections.abc import Callable

from socialhub.errors import ExitCode
from socialhub.services.authoring.text_rules import PLATFORMS, measure
from tests.conftest import CLIResult

CLI = Callable[..., CLIResult]


def test_measure_json_prints_the_five_promised_fields(cli: CLI) -> None:
    result = cli("text", "measure", "--platform", "x", "--json", "H🐱☺👨\u200d👩\u200d👧\u200d👦")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    assert {k: data[k] for k in ("platform", "length", "limit", "valid", "unit")} == {
        "platform": "x", "length": 7, "limit": 280, "valid": True, "unit": "weighted",
    }
    assert set(data) <= {"platform", "length", "limit", "valid", "unit", "problems", "details"}
    assert data["problems"] == []
    assert result.stderr == ""


def test_measure_over_the_limit_exits_4_and_still_prints_the_result(cli: CLI) -> None:
    result = cli("text", "measure", "-p", "bluesky", "--json", "a" * 301)
    assert result.exit_code == ExitCode.VALIDATION == 4
    data = result.json()
    assert isinstance(data, dict)
    assert (data["length"], data["limit"], data["valid"]) == (301, 300, False)
    assert data["problems"] == ["301 graphemes, over the 300 limit"]
    assert data["details"]["bytes"] == 301
    assert "301 graphemes, over the 300 limit" in result.stderr


def test_measure_human_summary_is_one_line(cli: CLI) -> None:
    ok = cli("text", "measure", "--platform", "mastodon", "hi @bob@example.com")
    assert ok.exit_code == 0
    assert ok.stdout == "mastodon: 7/500 graphemes, valid\n"
    bad = cli("text", "measure", "--platform", "x", "a" * 281)
    assert bad.exit_code == 4
    assert bad.stdout == (
        "x: 281/280 weighted, invalid: 281 weighted characters, over the 280 limit\n"
    )


def test_measure_limit_option_overrides_the_default(cli: CLI) -> None:
    result = cli("text", "measure", "--platform", "mastodon", "--limit", "1000", "--json",
                 "a" * 600)
    assert result.exit_code == 0
    data = result.json()
    assert isinstance(data, dict)
    assert (data["limit"], data["valid"]) == (1000, True)


def test_measure_max_hashtags_option_sets_the_instagram_cap(cli: CLI) -> None:
    text = "#a1 #b2 #c3 #d4 #e5 #f6"
    assert cli("text", "measure", "-p", "instagram", text).exit_code == 0
    capped = cli("text", "measure", "-p", "instagram", "--max-hashtags", "5", text)
    assert capped.exit_code == 4
    assert "6 hashtags, Instagram allows 5" in capped.stdout


def test_measure_reads_stdin_for_dash_without_the_final_newline(cli: CLI) -> None:
    result = cli("text", "measure", "--platform", "linkedin", "--json", "-", input="héllo 😀\n")
    assert result.exit_code == 0
    data = result.json()
    assert isinstance(data, dict)
    assert data["length"] == measure("héllo 😀", "linkedin").length == 8


def test_empty_text_is_invalid_with_a_reason(cli: CLI) -> None:
    result = cli("text", "measure", "--platform", "instagram", "--json", "")
    assert result.exit_code == 4
    data = result.json()
    assert isinstance(data, dict)
    assert data["length"] == 0
    assert "media" in data["problems"][0]


def test_unknown_platform_exits_4_naming_the_known_platforms(cli: CLI) -> None:
    for verb in ("measure", "split"):
        result = cli("text", verb, "--platform", "orkut", "hello")
        assert result.exit_code == 4
        assert result.stdout == ""
        assert "unknown platform 'orkut'" in result.stderr
        assert "bluesky" in result.stderr and "tiktok" in result.stderr


def test_help_lists_exactly_the_known_platforms(cli: CLI) -> None:
    result = cli("text", "measure", "--help")
    assert result.exit_code == 0
    from socialhub.cli.text import PLATFORM_HELP

    listed = PLATFORM_HELP.removeprefix("Platform: ").rstrip(".").split(", ")
    assert tuple(listed) == PLATFORMS


def test_split_json_lists_parts_with_their_lengths(cli: CLI) -> None:
    text = " ".join(["word"] * 120)  # 599 graphemes
    result = cli("text", "split", "--platform", "mastodon", "--json", text)
    assert result.exit_code == 0, result.stderr
    parts = result.json()
    assert isinstance(parts, list) and len(parts) == 2
    for part in parts:
        assert set(part) == {"text", "length"}
        assert part["length"] == measure(part["text"], "mastodon").length <= 500
    assert " ".join(p["text"] for p in parts) == text


def test_split_number_appends_counters(cli: CLI) -> None:
    text = " ".join(["word"] * 120)
    result = cli("text", "split", "-p", "x", "--number", "--json", text)
    parts = result.json()
    assert isinstance(parts, list)
    assert [p["text"].rsplit(" ", 1)[1] for p in parts] == ["1/3", "2/3", "3/3"]
    assert all(p["length"] <= 280 for p in parts)


def test_split_human_output_numbers_each_part_with_its_length(cli: CLI) -> None:
    result = cli("text", "split", "-p", "x", "--limit", "20",
                 "Hello there my friend. How are you?")
    assert result.exit_code == 0
    assert result.stdout == (
        "[1/2] 14/20 weighted\nHello there my\n\n[2/2] 20/20 weighted\nfriend. How are you?\n"
    )


def test_split_reads_stdin(cli: CLI) -> None:
    result = cli("text", "split", "-p", "bluesky", "--json", "-", input="one\n\ntwo\n")
    parts = result.json()
    assert parts == [{"text": "one\n\ntwo", "length": 8}]


def test_split_refuses_an_unbreakable_token_with_exit_4(cli: CLI) -> None:
    result = cli("text", "split", "-p", "x", "a " + "b" * 300)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "unbreakable" in result.stderr
    assert "300 weighted characters, over the 280 limit" in result.stderr
