"""Content policies without a database: findings, spans, severities, and the lint of a set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from socialhub.core.content_policy import (
    NamedPolicy,
    PolicySpec,
    TextContext,
    applicable,
    blocking,
    check_text,
)
from socialhub.core.locales import normalize_locale
from socialhub.services.manifests.documents import check_policies, parse_manifests
from tests.conftest import CLIResult


def policy(name: str = "brand", campaign: str | None = None, **spec: Any) -> NamedPolicy:
    return NamedPolicy(name, PolicySpec.model_validate(spec), campaign)


def test_banned_phrase_is_found_with_its_span_whatever_the_case() -> None:
    text = "Our GUARANTEED results. Guaranteedly not a match."
    found = check_text([policy(banned=[{"phrase": "guaranteed"}])], text)
    assert [(f.rule, f.start, f.end, f.severity) for f in found] == [("banned", 4, 14, "error")]
    assert text[found[0].start:found[0].end] == "GUARANTEED"
    assert "remove or reword" in found[0].hint


def test_case_sensitive_patterns_and_custom_hints() -> None:
    banned = [{"pattern": r"\bACME\b", "case_sensitive": True, "severity": "warning",
               "hint": "write Acme"}]
    found = check_text([policy(banned=banned)], "acme and ACME")
    assert [(f.start, f.end, f.severity, f.hint) for f in found] == [(9, 13, "warning",
                                                                      "write Acme")]


def test_required_phrase_missing_is_a_finding_about_the_whole_text() -> None:
    rules = [policy(required=[{"phrase": "#spring"}])]
    assert check_text(rules, "Sale! #Spring") == []
    [missing] = check_text(rules, "Sale!")
    assert (missing.rule, missing.start, missing.end) == ("required", 0, 0)


def test_disclosure_is_required_only_when_paid() -> None:
    rules = [policy(disclosure={})]
    assert check_text(rules, "Look at this", TextContext(paid=False)) == []
    [finding] = check_text(rules, "Look at this", TextContext(paid=True))
    assert finding.rule == "disclosure" and finding.blocks
    assert "#ad" in finding.hint and "paid partnership" in finding.hint
    assert check_text(rules, "Look at this #ad", TextContext(paid=True)) == []
    assert check_text(rules, "In Paid Partnership with X", TextContext(paid=True)) == []


def test_platform_limits_apply_only_on_their_platform() -> None:
    rules = [policy(platforms={"instagram": {"max_hashtags": 1, "max_mentions": 1,
                                             "links": "warning",
                                             "first_comment": "required"}})]
    text = "New! #a #b @one @two https://shop.example.com/new"
    assert check_text(rules, text, TextContext(platform="bluesky")) == []
    found = check_text(rules, text, TextContext(platform="instagram"))
    by_rule = {f.rule: f for f in found}
    assert set(by_rule) == {"max-hashtags", "max-mentions", "link-in-caption", "first-comment"}
    assert text[by_rule["max-hashtags"].start:by_rule["max-hashtags"].end] == "#b"
    assert text[by_rule["max-mentions"].start:by_rule["max-mentions"].end] == "@two"
    assert by_rule["link-in-caption"].severity == "warning"
    assert text[by_rule["link-in-caption"].start:].startswith("https://shop.example.com")
    with_comment = check_text(rules, text, TextContext(platform="instagram",
                                                       first_comment="Link: …"))
    assert "first-comment" not in {f.rule for f in with_comment}


def test_claims_need_a_source_in_the_same_text() -> None:
    rules = [policy(claims=[{"phrase": "clinically proven"}, {"pattern": r"\d+(\.\d+)?\s?%"}])]
    found = check_text(rules, "Clinically proven: 93% fewer spots")
    assert [(f.rule, f.severity) for f in found] == [("claim-needs-source", "warning")] * 2
    assert check_text(rules, "Clinically proven: 93% fewer (source: https://ex.org/s)") == []
    assert check_text(rules, "93% fewer spots, according to our 2030 study") == []


def test_a_catastrophic_pattern_times_out_into_a_warning() -> None:
    rules = [policy(banned=[{"pattern": r"(a|aa)+$"}])]
    found = check_text(rules, "a" * 60 + "!")
    assert [f.rule for f in found] == ["pattern-timeout"]
    assert blocking(found) == []


def test_campaign_policies_apply_to_their_campaign_only() -> None:
    org, spring = policy("org"), policy("spring-rules", campaign="spring")
    assert applicable([spring, org], "spring") == [org, spring]
    assert applicable([spring, org], "autumn") == [org]
    assert applicable([spring, org], None) == [org]


@pytest.mark.parametrize(("tag", "normal"), [("de", "de"), ("fr-ca", "fr-CA"),
                                              ("pt_BR", "pt-BR"), ("zh-hant-tw", "zh-Hant-TW")])
def test_language_tags_are_checked_and_normalised(tag: str, normal: str) -> None:
    assert normalize_locale(tag) == normal


@pytest.mark.parametrize("tag", ["xx", "english", "", "de-"])
def test_unknown_language_tags_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="unknown language tag"):
        normalize_locale(tag)


POLICY_SET = """\
apiVersion: socialhub/v1
kind: Policy
metadata: {name: brand}
spec:
  banned:
    - phrase: guaranteed
  disclosure: {}
  claims:
    - pattern: '\\d+ ?%'
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec:
  brief: {topic: Spring sale, paid: true}
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch, campaign: spring}
spec:
  body: "Guaranteed fun #ad"
  targets:
    - account: bluesky:@shop.example.com
    - account: x:@shop
      text: "Half off: 50% #ad"
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: unpaid}
spec:
  body: "No disclosure needed here"
"""


def test_set_policies_are_checked_at_the_lines_of_the_texts() -> None:
    manifests, issues = parse_manifests([("set.yaml", POLICY_SET)])
    assert issues == []
    found = check_policies(manifests)
    assert [(i.line, i.severity) for i in found] == [(21, "error"), (25, "warning")]
    assert "banned phrase 'Guaranteed'" in found[0].message
    assert "brand/banned, characters 0-10" in found[0].message
    assert "claim '50%' has no source" in found[1].message


def test_a_paid_campaign_without_disclosure_is_an_error() -> None:
    text = POLICY_SET.replace("Guaranteed fun #ad", "Fun").replace(" #ad\"", "\"")
    manifests, _ = parse_manifests([("set.yaml", text)])
    messages = [i.message for i in check_policies(manifests) if i.severity == "error"]
    assert sum("paid post without a disclosure" in m for m in messages) == 2


def test_a_pattern_that_does_not_compile_is_a_file_line_error(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY_SET.replace("'\\d+ ?%'", "'(50%'"))
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 4
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'p.yaml'}:9:16: spec.claims.0.pattern: pattern '(50%' does not compile: "
        "missing ) at position 4"]


def test_lint_fails_on_policy_errors_and_reports_warnings_without_failing(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY_SET)
    failed = cli("lint", str(tmp_path), "--json")
    assert failed.exit_code == 4
    data = failed.json()
    assert [i["severity"] for i in data["issues"]] == ["error", "warning"]
    (tmp_path / "p.yaml").write_text(POLICY_SET.replace("Guaranteed fun", "Fun"))
    passed = cli("lint", str(tmp_path))
    assert passed.exit_code == 0, passed.stdout
    assert "warning: claim '50%' has no source" in passed.stdout
    assert "1 policy warning" in passed.stderr


def test_unknown_locale_in_a_manifest_is_a_file_line_error(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    text = POLICY_SET.replace("    - account: x:@shop\n",
                              "    - account: x:@shop\n      language: xx-YY\n")
    (tmp_path / "p.yaml").write_text(text)
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 4
    assert f"{tmp_path / 'p.yaml'}:25:17: spec.targets.1.language: unknown language tag " \
           "'xx-YY'" in result.stdout
