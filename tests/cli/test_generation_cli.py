"""``posts generate|adapt|rewrite|score``, ``ai usage`` and ``hashtags suggest`` end to end.

The Anthropic path runs the real SDK against the local Messages-API server:
template → request → streamed parsing → repair → validation → storage.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from socialhub.services.authoring.text_rules import measure
from tests.conftest import CLIResult
from tests.fakes.anthropic_server import FakeAnthropic

CLI = Callable[..., CLIResult]
IDEA = ("Our spring collection launches Monday at the Berlin Store. Handmade ceramics, small "
        "batches, and a new glaze we spent a year on. Come by on opening day for coffee and a "
        "first look at all forty pieces, each signed by the potter who made it; we will also "
        "run a short glazing demo every hour from ten until four.")
ACCOUNTS = ("x:@shop", "bluesky:@shop.example.com", "mastodon:@shop@social.example",
            "linkedin:@shop", "instagram:@shop", "threads:@shop")


def err(r: CLIResult) -> str:
    """stderr with Rich's line wrapping undone."""
    return " ".join(r.stderr.split())


def add_accounts(cli: CLI, *refs: str) -> None:
    for ref in refs:
        r = cli("accounts", "add", ref)
        assert r.exit_code == 0, r.stderr


def stored_variants(cli: CLI, post: str) -> list[dict]:
    r = cli("posts", "show", post, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json()["targets"]


def post_names(cli: CLI) -> list[str]:
    return [p["name"] for p in cli("posts", "list", "--json").json()]


def test_offline_generation_with_no_key_writes_valid_variants_everywhere(cli: CLI) -> None:
    add_accounts(cli, *ACCOUNTS)
    r = cli("posts", "generate", "--idea", IDEA, "--platforms",
            "x,bluesky,mastodon,linkedin,instagram,threads", "--variants", "2", "--json")
    assert r.exit_code == 0, r.stderr
    assert "no Anthropic API key configured: using the offline engine" in err(r)
    data = r.json()
    assert data["provider"] == "offline" and len(data["variants"]) == 12
    assert post_names(cli) == [data["post"]]  # ONE post
    targets = stored_variants(cli, data["post"])
    assert len(targets) == 6
    for t in targets:
        platform = t["account"].split(":")[0]
        assert all(measure(p, platform).valid for p in (t["thread"] or [t["text"]]))
    x = next(t for t in targets if t["account"] == "x:@shop")
    assert len(x["thread"]) > 1  # too long for X: split into a thread


def test_generated_drafts_print_as_they_come(cli: CLI) -> None:
    add_accounts(cli, "x:@shop", "linkedin:@shop")
    r = cli("posts", "generate", "--idea", "Doors open at nine.", "--targets",
            "x:@shop,linkedin:@shop", "--provider", "offline")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.index("→ x:@shop") < r.stdout.index("→ linkedin:@shop")
    assert "Doors open at nine." in r.stdout
    assert "created draft post post-1" in err(r)


def test_a_platform_without_an_account_is_refused(cli: CLI) -> None:
    add_accounts(cli, "x:@shop")
    r = cli("posts", "generate", "--idea", "Hi.", "--platforms", "x,bluesky")
    assert r.exit_code == 4
    assert "no bluesky account to write for" in err(r)
    assert "accounts add bluesky:@handle" in err(r)
    assert post_names(cli) == []


def test_bad_generation_input_is_refused_and_nothing_stored(cli: CLI) -> None:
    add_accounts(cli, "x:@shop")
    r = cli("posts", "generate", "--idea", "   ", "--targets", "x:@shop")
    assert r.exit_code == 4 and "the idea is empty" in err(r)
    r = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@nobody")
    assert r.exit_code == 5 and "unknown account x:@nobody" in err(r)
    r = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@shop", "--voice", "ghost")
    assert r.exit_code == 5 and "no voice profile named 'ghost'" in err(r)
    r = cli("posts", "generate", "--idea", "Hi.")
    assert r.exit_code == 4 and "--targets" in err(r)
    r = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@shop", "--provider",
            "anthropic")
    assert r.exit_code == 3 and "no Anthropic API key" in err(r)
    assert post_names(cli) == []


def test_the_whole_anthropic_path_stores_validated_variants_and_usage(
        dbcli: CLI, fake: FakeAnthropic) -> None:
    add_accounts(dbcli, "x:@shop", "linkedin:@shop")
    dbcli("voices", "add", "shop", "--avoid", "synergy", "--default")
    fake.garbage()  # the first answer is not JSON: one repair request fixes it
    r = dbcli("posts", "generate", "--idea", "Spring sale. Synergy ahead.", "--targets",
              "x:@shop,linkedin:@shop", "--variants", "2", "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["provider"] == "anthropic" and data["voice"] == "shop"
    assert [v["text"] for v in data["variants"]][:2] == ["Spring sale. (x take 1)",
                                                         "Spring sale. (linkedin take 1)"]
    targets = stored_variants(dbcli, data["post"])
    assert {t["account"]: t["text"] for t in targets} == {
        "x:@shop": "Spring sale. (x take 1)", "linkedin:@shop": "Spring sale. (linkedin take 1)"}
    prompt = fake.requests[0].body["messages"][0]["content"]
    assert '"phrases_avoid": ["synergy"]' in prompt
    usage = dbcli("ai", "usage", "--json").json()
    assert usage["calls"] == 2 and usage["cost_usd"] > 0
    assert usage["by_model"][0]["model"] == "claude-haiku-4-5"
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_an_over_long_answer_is_re_asked_then_stored_valid(cli: CLI, fake: FakeAnthropic) -> None:
    add_accounts(cli, "x:@shop")
    fake.overlong()
    r = cli("posts", "generate", "--idea", IDEA, "--targets", "x:@shop", "--json")
    assert r.exit_code == 0, r.stderr
    [draft] = r.json()["variants"]
    assert "re-asked for a text within 280 weighted" in draft["notes"]
    assert measure(draft["text"], "x").valid
    assert fake.requests[-1].body["tool_choice"]["name"] == "submit_text"


def test_an_overloaded_provider_falls_back_to_offline_and_says_so(
        cli: CLI, fake: FakeAnthropic) -> None:
    add_accounts(cli, "x:@shop")
    fake.fail(529, times=3, retry_after_ms="10")
    r = cli("posts", "generate", "--idea", "Doors open at nine.", "--targets", "x:@shop",
            "--json")
    assert r.exit_code == 0, r.stderr
    assert "overloaded (HTTP 529)" in err(r)
    assert "falling back to the offline engine" in err(r)
    assert r.json()["variants"][0]["provider"] == "offline"
    usage = cli("ai", "usage", "--json").json()
    assert {(m["provider"], m["failed"]) for m in usage["by_model"]} == {
        ("anthropic", 1), ("offline", 0)}


def test_without_fallback_a_failure_stores_no_post_but_keeps_usage(
        cli: CLI, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_AI_FALLBACK_TO_OFFLINE", "false")
    add_accounts(cli, "x:@shop")
    fake.garbage(times=2)
    r = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@shop")
    assert r.exit_code == 11
    assert "not usable JSON after one repair" in err(r)
    assert post_names(cli) == []
    assert cli("ai", "usage", "--json").json()["calls"] == 2


def test_a_rejected_key_is_reported_without_the_key(
        cli: CLI, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_AI_API_KEY", "sk-ant-planted-secret")
    monkeypatch.setenv("SOCIALHUB_AI_FALLBACK_TO_OFFLINE", "false")
    add_accounts(cli, "x:@shop")
    r = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@shop")
    assert r.exit_code == 9 and "Anthropic rejected the API key (HTTP 401)" in err(r)
    assert "planted-secret" not in err(r) + r.stdout


def test_the_monthly_budget_refuses_further_calls(
        cli: CLI, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    add_accounts(cli, "x:@shop")
    monkeypatch.setenv("SOCIALHUB_AI_MONTHLY_BUDGET_USD", "0.0001")
    first = cli("posts", "generate", "--idea", "Hi.", "--targets", "x:@shop")
    assert first.exit_code == 0, first.stderr
    seen = len(fake.requests)
    r = cli("posts", "generate", "--idea", "Again.", "--targets", "x:@shop")
    assert r.exit_code == 11
    assert "monthly AI budget of $0.00 is spent" in err(r) and "used this month" in err(r)
    assert len(fake.requests) == seen  # refused before calling
    usage = cli("ai", "usage")
    assert "budget" in usage.stdout


def test_adapt_rewrite_and_score_work_on_a_generated_post(cli: CLI) -> None:
    add_accounts(cli, "x:@shop", "mastodon:@shop@social.example", "linkedin:@shop")
    cli("voices", "add", "shop", "--avoid", "cheap", "--formality", "8", "--default")
    r = cli("posts", "generate", "--idea", "Cheap tickets! We're opening a second studio "
            "in Leipzig.", "--targets", "x:@shop", "--name", "leipzig", "--json")
    assert r.exit_code == 0, r.stderr
    r = cli("posts", "adapt", "leipzig", "--targets", "mastodon:@shop@social.example,"
            "linkedin:@shop", "--json")
    assert r.exit_code == 0, r.stderr
    accounts = {t["account"] for t in stored_variants(cli, "leipzig")}
    assert accounts == {"x:@shop", "mastodon:@shop@social.example", "linkedin:@shop"}
    r = cli("posts", "rewrite", "leipzig", "--target", "linkedin:@shop", "--instruction",
            "add a question")
    assert r.exit_code == 0, r.stderr
    linkedin = next(t for t in stored_variants(cli, "leipzig") if t["account"] == "linkedin:@shop")
    assert linkedin["text"].rstrip().endswith("?")
    score = cli("posts", "score", "leipzig", "--json")
    assert score.exit_code == 0, score.stderr
    rows = score.json()["variants"]
    assert {r["target"] for r in rows} == accounts
    assert all(r["valid"] and 0 <= r["voice_fit"] <= 100 for r in rows)
    assert "reading_ease" in rows[0]["readability"]
    plain = cli("posts", "score", "leipzig")
    assert "voice fit" in plain.stdout and "x:@shop: valid" in plain.stdout


def test_score_flags_a_paid_post_without_disclosure(cli: CLI) -> None:
    add_accounts(cli, "x:@shop")
    cli("posts", "create", "-b", "Our partner's new shoes are great", "-t", "x:@shop",
        "--paid", "--name", "shoes")
    rows = cli("posts", "score", "shoes", "--json").json()["variants"]
    assert any(r["code"] == "missing_disclosure" for r in rows[0]["risks"])


def test_rewrite_needs_an_existing_target_and_an_instruction(cli: CLI) -> None:
    add_accounts(cli, "x:@shop", "linkedin:@shop")
    cli("posts", "generate", "--idea", "Hello.", "--targets", "x:@shop", "--name", "hello")
    r = cli("posts", "rewrite", "hello", "--target", "linkedin:@shop", "--instruction", "x")
    assert r.exit_code == 4 and "has no target linkedin:@shop" in err(r)
    r = cli("posts", "rewrite", "hello", "--target", "x:@shop", "--instruction", " ")
    assert r.exit_code == 4 and "instruction is empty" in err(r)


def test_hashtags_are_suggested_per_platform(cli: CLI) -> None:
    r = cli("hashtags", "suggest", IDEA, "--platform", "instagram", "--json")
    assert r.exit_code == 0, r.stderr
    assert "#BerlinStore" in r.json()["hashtags"]
    r = cli("hashtags", "suggest", IDEA, "--platform", "x")
    assert len(r.stdout.split()) <= 2
    r = cli("hashtags", "suggest", IDEA, "--platform", "myspace")
    assert r.exit_code == 4 and "unknown platform" in err(r)
