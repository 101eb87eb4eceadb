"""The Anthropic provider, through the real SDK, against a local Messages-API server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from socialhub.ai import select_provider
from socialhub.ai.anthropic_provider import AnthropicProvider
from socialhub.ai.base import Draft, ProviderError, Target, UsageLog
from socialhub.ai.hashtags import recommended_count
from socialhub.config import AIConfig
from socialhub.errors import AuthError, BudgetError, ConfigError
from socialhub.services.authoring.text_rules import rules_for
from tests.fakes.anthropic_server import FakeAnthropic, prompt_data

MODEL = "claude-haiku-4-5"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def provider(fake: FakeAnthropic, **kw: object) -> AnthropicProvider:
    args: dict = {"api_key": "test-key", "model": MODEL, "base_url": fake.url, "timeout_s": 5.0}
    args.update(kw)
    return AnthropicProvider(**args)


def targets(*platforms: str) -> list[Target]:
    out = []
    for p in platforms:
        r = rules_for(p)
        out.append(Target(f"{p}:@shop", r, r.limit, recommended_count(r)))
    return out


def test_drafts_stream_one_by_one_before_the_answer_ends(fake: FakeAnthropic) -> None:
    fake.chunk_delay = 0.03
    # For each draft handed over: had the server finished sending the answer yet?
    answer_done: list[bool] = []
    engine = provider(fake)
    drafts = engine.generate("Spring sale on Monday.", targets("x", "bluesky", "linkedin"),
                             None, variants=2, usage=UsageLog(),
                             on_draft=lambda d: answer_done.append(fake.streams_finished > 0))
    assert [(d.target, d.n) for d in drafts] == [
        ("x:@shop", 1), ("bluesky:@shop", 1), ("linkedin:@shop", 1),
        ("x:@shop", 2), ("bluesky:@shop", 2), ("linkedin:@shop", 2)]
    assert len(answer_done) == 6
    assert answer_done[0] is False  # the first was handed over while the answer still streamed
    assert fake.streams_finished == 1
    body = fake.requests[0].body
    assert body["stream"] is True and body["model"] == MODEL
    assert body["temperature"] == 0.7


def test_usage_is_recorded_with_tokens_cost_and_latency(fake: FakeAnthropic) -> None:
    usage = UsageLog()
    provider(fake).generate("Idea.", targets("x"), None, variants=1, usage=usage)
    [call] = usage.calls
    assert call.provider == "anthropic" and call.model == MODEL and call.task == "generate"
    assert call.input_tokens > 0 and call.output_tokens > 0
    assert call.cost_usd > 0 and call.latency_ms >= 0 and call.ok


def test_a_malformed_answer_is_repaired_once(fake: FakeAnthropic) -> None:
    fake.garbage()
    usage = UsageLog()
    drafts = provider(fake).generate("Idea.", targets("x", "mastodon"), None, variants=1,
                                     usage=usage)
    assert len(drafts) == 2
    assert [c.task for c in usage.calls] == ["generate", "generate-repair"]
    repair = fake.requests[1]
    assert "could not be used" in repair.prompt
    assert [m["role"] for m in repair.body["messages"]] == ["user", "assistant", "user"]
    assert prompt_data(repair.prompt)["missing"] == [{"target": "x:@shop", "n": 1},
                                                     {"target": "mastodon:@shop", "n": 1}]


def test_garbage_twice_is_a_provider_error(fake: FakeAnthropic) -> None:
    fake.garbage(times=2)
    with pytest.raises(ProviderError, match="not usable JSON after one repair"):
        provider(fake).generate("Idea.", targets("x"), None, variants=1, usage=UsageLog())


def test_rate_limit_waits_for_retry_after_then_succeeds(fake: FakeAnthropic) -> None:
    fake.fail(429, retry_after="1")
    start = time.perf_counter()
    drafts = provider(fake).generate("Idea.", targets("x"), None, variants=1, usage=UsageLog())
    assert drafts and time.perf_counter() - start >= 0.95
    assert len(fake.requests) == 2


def test_overloaded_after_retries_is_a_provider_error(fake: FakeAnthropic) -> None:
    fake.fail(529, times=3, retry_after_ms="10")
    usage = UsageLog()
    with pytest.raises(ProviderError, match=r"overloaded \(HTTP 529\)"):
        provider(fake).generate("Idea.", targets("x"), None, variants=1, usage=usage)
    assert len(fake.requests) == 3  # the SDK retried twice
    assert [c.ok for c in usage.calls] == [False]


def test_a_rejected_key_is_an_auth_error_without_the_key(fake: FakeAnthropic) -> None:
    with pytest.raises(AuthError) as info:
        provider(fake, api_key="sk-wrong-secret").generate("Idea.", targets("x"), None,
                                                           variants=1, usage=UsageLog())
    assert "rejected the API key" in str(info.value)
    assert "sk-wrong-secret" not in str(info.value)


def test_a_stalled_server_times_out(fake: FakeAnthropic) -> None:
    fake.stall(1.0, times=3)
    with pytest.raises(ProviderError, match=r"did not answer within 0\.2 s"):
        provider(fake, timeout_s=0.2, max_retries=0).generate(
            "Idea.", targets("x"), None, variants=1, usage=UsageLog())


def test_rewrite_uses_the_submit_text_tool(fake: FakeAnthropic) -> None:
    draft = provider(fake).rewrite("Hello there.", targets("x")[0], None, "shorter",
                                   usage=UsageLog())
    assert isinstance(draft, Draft) and draft.text.startswith("Rewritten")
    body = fake.requests[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "submit_text"}
    assert body["tools"][0]["name"] == "submit_text"


def test_a_rewrite_without_the_tool_is_repaired_once(fake: FakeAnthropic) -> None:
    fake.garbage()
    usage = UsageLog()
    draft = provider(fake).rewrite("Hello there.", targets("x")[0], None, "shorter", usage=usage)
    assert draft.text
    assert [c.task for c in usage.calls] == ["rewrite", "rewrite-repair"]


def test_models_that_reject_temperature_are_not_sent_one(fake: FakeAnthropic) -> None:
    provider(fake, model="claude-opus-4-7").generate("Idea.", targets("x"), None, variants=1,
                                                     usage=UsageLog())
    assert "temperature" not in fake.requests[0].body


@pytest.mark.parametrize(("model", "takes"), [
    ("claude-3-5-haiku-20241022", True), ("claude-sonnet-4-5", True),
    ("claude-opus-4-6", True), ("claude-sonnet-4-6", True), ("claude-haiku-4-5", True),
    ("claude-opus-4-1-20250805", True), ("claude-haiku-4-6", False),
    ("claude-opus-4-7", False), ("claude-opus-4-8", False), ("claude-sonnet-5", False),
    ("claude-fable-5", False), ("some-future-model", False)])
def test_temperature_goes_only_to_models_that_take_it(model: str, takes: bool) -> None:
    from socialhub.ai.anthropic_provider import accepts_temperature

    assert accepts_temperature(model) is takes


def test_a_spent_budget_refuses_before_any_request(fake: FakeAnthropic) -> None:
    with pytest.raises(BudgetError, match=r"budget of \$1.00 is spent \(\$1.2000 used"):
        provider(fake).generate("Idea.", targets("x"), None, variants=1,
                                usage=UsageLog(budget_usd=1.0, spent_usd=1.2))
    assert fake.requests == []


def test_provider_selection_follows_config_key_and_override() -> None:
    no_key = AIConfig()
    chosen, note = select_provider(no_key, env={})
    assert chosen.name == "offline" and note and "no Anthropic API key" in note
    chosen, note = select_provider(no_key, env={"ANTHROPIC_API_KEY": "k"})
    assert chosen.name == "anthropic" and note is None
    chosen, _ = select_provider(AIConfig(api_key="k"), "offline", env={})
    assert chosen.name == "offline"
    with pytest.raises(ConfigError, match="no Anthropic API key"):
        select_provider(no_key, "anthropic", env={})
