"""``posts generate --brief`` and ``posts translate`` end to end: the offline engine, and the
real Anthropic SDK against the local Messages-API server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLIResult
from tests.fakes.anthropic_server import FakeAnthropic, prompt_data

CLI = Callable[..., CLIResult]

CAMPAIGN = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "x:@shop"}
---
apiVersion: socialhub/v1
kind: VoiceProfile
metadata: {name: formal}
spec: {formality: 9, phrases_avoid: [awesome]}
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec:
  brief:
    topic: Our spring ceramics collection
    audience: Collectors in Berlin
    tone: [calm]
    voice: formal
    languages: [en, de]
    platforms: [bluesky]
    key_messages: [Forty signed pieces, Opening day is Monday]
    constraints: [Never mention prices]
    paid: true
"""


@pytest.fixture
def campaign(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    r = cli("apply", "-f", str(tmp_path / "c.yaml"))
    assert r.exit_code == 0, r.stderr


def test_generate_from_a_brief_offline_is_deterministic_and_joins_the_campaign(
        cli: CLI, campaign: None) -> None:
    first = cli("posts", "generate", "--brief", "spring", "--provider", "offline", "--json")
    assert first.exit_code == 0, first.stderr
    data = first.json()
    assert data["voice"] == "formal"
    assert [v["target"] for v in data["variants"]] == ["bluesky:@shop.example.com"]
    text = data["variants"][0]["text"]
    assert "Forty signed pieces" in text
    shown = cli("posts", "show", data["post"], "--json").json()
    assert (shown["campaign"], shown["paid"], shown["voice"]) == ("spring", True, "formal")
    again = cli("posts", "generate", "--brief", "spring", "--provider", "offline", "--json")
    assert again.json()["variants"][0]["text"] == text


def test_generate_from_a_brief_sends_the_brief_to_anthropic(
        cli: CLI, campaign: None, fake: FakeAnthropic) -> None:
    r = cli("posts", "generate", "--brief", "spring", "--targets", "x:@shop", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["provider"] == "anthropic"
    sent = prompt_data(fake.requests[0].prompt)
    assert sent["brief"]["audience"] == "Collectors in Berlin"
    assert sent["brief"]["constraints"] == ["Never mention prices"]
    assert sent["voice"]["name"] == "formal"
    assert [t["ref"] for t in sent["targets"]] == ["x:@shop"]
    assert "When it says paid, every post must carry a disclosure" in fake.requests[0].prompt


def test_a_campaign_without_a_brief_is_a_clear_error(cli: CLI) -> None:
    assert cli("campaigns", "add", "autumn").exit_code == 0
    r = cli("posts", "generate", "--brief", "autumn", "--provider", "offline")
    assert r.exit_code == 4
    assert "campaign autumn has no brief" in r.stderr
    assert cli("posts", "generate", "--provider", "offline").exit_code == 4


def test_translate_through_anthropic_adds_a_post_per_language(
        cli: CLI, campaign: None, fake: FakeAnthropic) -> None:
    made = cli("posts", "create", "-b", "Forty signed pieces, opening Monday.", "-t",
               "bluesky:@shop.example.com", "-t", "x:@shop", "--campaign", "spring",
               "--name", "opening")
    assert made.exit_code == 0, made.stderr
    r = cli("posts", "translate", "opening", "--to", "de,fr-ca", "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert [t["post"] for t in data["translations"]] == ["opening.de", "opening.fr-ca"]
    assert data["usage"]["calls"] == 4
    german = cli("posts", "show", "opening.de", "--json").json()
    assert german["campaign"] == "spring" and german["status"] == "draft"
    assert [(t["account"], t["language"]) for t in german["targets"]] == [
        ("bluesky:@shop.example.com", "de"), ("x:@shop", "de")]
    assert german["targets"][0]["text"].startswith("[de] Forty signed pieces")
    assert german["targets"][0]["options"]["translation_of"] == "opening"
    sent = prompt_data(fake.requests[-1].prompt)
    assert sent["language"] == "fr-CA" and sent["voice"]["name"] == "formal"
    assert sent["target"]["limit"] == 280  # the platform's limit goes with the request
    exported = cli("export", "--kind", "posts")
    assert "language: fr-CA" in exported.stdout
    again = cli("posts", "translate", "opening", "--to", "de")
    assert again.exit_code == 6
    assert "already translated to de (opening.de)" in again.stderr


def test_translate_offline_refuses_and_writes_nothing(cli: CLI, campaign: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert cli("posts", "create", "-b", "Hello", "-t", "x:@shop", "--name", "hello").exit_code == 0
    for args in ((), ("--provider", "offline")):
        r = cli("posts", "translate", "hello", "--to", "de", *args)
        assert r.exit_code == 3
        assert "the offline engine cannot translate and will not pretend to" in r.stderr
    names = [p["name"] for p in cli("posts", "list", "--json").json()]
    assert names == ["hello"]


def test_translate_to_an_unknown_locale_is_refused_before_any_call(
        cli: CLI, fake: FakeAnthropic) -> None:
    assert cli("accounts", "add", "x:@shop").exit_code == 0
    assert cli("posts", "create", "-b", "Hello", "-t", "x:@shop", "--name", "hi").exit_code == 0
    r = cli("posts", "translate", "hi", "--to", "de,klingon")
    assert r.exit_code == 4
    assert "unknown language tag 'klingon'" in r.stderr
    assert fake.requests == []
