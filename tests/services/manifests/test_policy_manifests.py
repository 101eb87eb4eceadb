"""Policies and briefs through the database: apply refuses on errors, export round-trips,
scheduling is blocked by an error and not by a warning (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CLIResult

Cli = Callable[..., CLIResult]

BASE = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "instagram:@shop"}
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec:
  description: Spring sale
  brief:
    topic: The spring sale
    audience: Gardeners in Berlin
    tone: [warm, plain]
    languages: [en, de, fr-CA]
    platforms: [bluesky]
    regions: [DE]
    key_messages: [Everything 20% off, Free delivery]
    constraints: [No prices in images]
    paid: true
---
apiVersion: socialhub/v1
kind: Policy
metadata: {name: brand}
spec:
  banned:
    - phrase: guaranteed
      hint: say what we promise instead
  disclosure:
    phrases: ['#ad']
---
apiVersion: socialhub/v1
kind: Policy
metadata: {name: spring-rules, campaign: spring}
spec:
  platforms:
    instagram:
      max_hashtags: 2
      links: warning
  claims:
    - phrase: clinically proven
"""

POST = """\
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch, campaign: spring}
spec:
  body: "%s"
  targets:
    - account: bluesky:@shop.example.com
      language: en
"""


def actions(result: CLIResult) -> dict[str, str]:
    data: Any = result.json()
    return {f"{c['kind']}/{c['name']}": c["action"] for c in data["changes"]}


def test_policies_and_briefs_export_as_applied(dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE + POST % "Spring is here #ad")
    applied = dbcli("apply", "-f", str(tmp_path / "in.yaml"), "--json")
    assert applied.exit_code == 0, applied.stderr
    assert actions(applied)["Policy/brand"] == "created"
    exported = dbcli("export", "--kind", "policies")
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout == """\
---
apiVersion: socialhub/v1
kind: Policy
metadata:
  name: brand
spec:
  banned:
  - phrase: guaranteed
    hint: say what we promise instead
  disclosure:
    phrases:
    - '#ad'
---
apiVersion: socialhub/v1
kind: Policy
metadata:
  name: spring-rules
  campaign: spring
spec:
  platforms:
    instagram:
      max_hashtags: 2
      links: warning
  claims:
  - phrase: clinically proven
"""
    campaign = dbcli("export", "--kind", "campaigns", "--json").json()[0]
    assert campaign["spec"]["brief"] == {
        "topic": "The spring sale", "audience": "Gardeners in Berlin", "tone": ["warm", "plain"],
        "languages": ["en", "de", "fr-CA"], "platforms": ["bluesky"], "regions": ["DE"],
        "key_messages": ["Everything 20% off", "Free delivery"],
        "constraints": ["No prices in images"], "paid": True}
    post = dbcli("export", "--kind", "posts", "--json").json()[0]
    assert post["spec"]["targets"][0]["language"] == "en"
    everything = dbcli("export")
    assert everything.exit_code == 0, everything.stderr
    (tmp_path / "out.yaml").write_text(everything.stdout)
    again = dbcli("apply", "-f", str(tmp_path / "out.yaml"), "--json")
    assert again.exit_code == 0, again.stderr
    assert set(actions(again).values()) == {"unchanged"}


def test_apply_refuses_a_post_that_breaks_a_policy_and_writes_nothing(
        dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE + POST % "Guaranteed blooms")
    result = dbcli("apply", "-f", str(tmp_path / "in.yaml"))
    assert result.exit_code == 4
    out = result.stdout + result.stderr
    assert "in.yaml:50:9: error: banned phrase 'Guaranteed' (brand/banned" in out
    assert "fix: say what we promise instead" in out
    assert "paid post without a disclosure (brand/disclosure)" in out
    assert "nothing was written" in result.stderr
    exported = dbcli("export")
    assert exported.exit_code == 0
    assert exported.stdout == ""


def test_apply_warns_without_refusing(dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(
        BASE + POST % "Clinically proven roses #ad" + "    - account: instagram:@shop\n"
        "      text: 'Roses #ad #a https://shop.example.com/roses'\n")
    result = dbcli("apply", "-f", str(tmp_path / "in.yaml"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "warning: claim 'Clinically proven' has no source" in result.stderr
    assert "warning: link 'https://shop.example.com/roses' is not clickable" in result.stderr


def test_a_policy_for_an_unknown_campaign_is_refused(dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE.replace("campaign: spring}", "campaign: autumn}"))
    result = dbcli("apply", "-f", str(tmp_path / "in.yaml"))
    assert result.exit_code == 4
    assert "unknown campaign 'autumn'" in result.stdout + result.stderr


def test_scheduling_is_blocked_by_an_error_and_not_by_a_warning(
        dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE)
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    made = dbcli("posts", "create", "-b", "Guaranteed roses", "-t", "instagram:@shop",
                 "--campaign", "spring", "--name", "roses")
    assert made.exit_code == 0, made.stderr
    blocked = dbcli("posts", "schedule", "roses", "--at", "2030-05-05 12:00 Europe/Berlin")
    assert blocked.exit_code == 4
    assert "post roses breaks 2 content policy rules" in blocked.stderr
    assert "instagram:@shop: error: banned phrase 'Guaranteed'" in blocked.stderr
    assert "error: paid post without a disclosure" in blocked.stderr
    shown = dbcli("posts", "show", "roses", "--json")
    assert shown.json()["status"] == "draft"

    edited = dbcli("posts", "edit", "roses", "--body",
                   "Roses #ad #a https://shop.example.com/roses")
    assert edited.exit_code == 0, edited.stderr
    scheduled = dbcli("posts", "schedule", "roses", "--at", "2030-05-05 12:00 Europe/Berlin")
    assert scheduled.exit_code == 0, scheduled.stderr
    assert "policy instagram:@shop: warning: link 'https://shop.example.com/roses' is not " \
           "clickable in a caption on instagram" in scheduled.stderr
    assert dbcli("posts", "show", "roses", "--json").json()["status"] == "scheduled"


def test_create_with_a_time_is_blocked_whole(dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE)
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    made = dbcli("posts", "create", "-b", "Guaranteed!", "-t", "bluesky:@shop.example.com",
                 "--name", "now", "--at", "2030-05-05 12:00 Europe/Berlin")
    assert made.exit_code == 4
    assert dbcli("posts", "show", "now").exit_code != 0  # nothing half-written


def test_the_campaign_report_lists_the_policy_findings_on_its_posts(
        dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(BASE + POST % "Clinically proven joy #ad")
    applied = dbcli("apply", "-f", str(tmp_path / "in.yaml"))
    assert applied.exit_code == 0, applied.stderr  # a claim is a warning: applied
    report = tmp_path / "spring.json"
    made = dbcli("report", "--campaign", "spring", "--format", "json", "-o", str(report))
    assert made.exit_code == 0, made.stderr
    findings = json.loads(report.read_text())["policy_findings"]
    assert [(f["post"], f["account"], f["rule"], f["severity"]) for f in findings] == [
        ("launch", "bluesky:@shop.example.com", "spring-rules/claim-needs-source", "warning")]
    assert "clinically proven" in findings[0]["message"].lower()


EXPERIMENT = """\
---
apiVersion: socialhub/v1
kind: Experiment
metadata: {name: hook, campaign: spring}
spec:
  metric: likes
  split: slots
  min_sample: 100
  arms:
    - name: plain
      account: bluesky:@shop.example.com
      text: "Spring blooms #ad"
      at: 2030-03-02T09:00:00 Europe/Berlin
    - name: bold
      account: bluesky:@shop.example.com
      text: "Guaranteed blooms"
      at: 2030-03-03T09:00:00 Europe/Berlin
"""


def test_an_experiments_arms_are_held_to_the_policies_at_lint_and_apply(
        dbcli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(BASE + EXPERIMENT)
    lines = path.read_text().splitlines()
    bold = lines.index('      text: "Guaranteed blooms"') + 1
    for command in (("lint", str(path)), ("apply", "-f", str(path))):
        result = dbcli(*command)
        said = result.stdout + result.stderr
        assert result.exit_code == 4, said
        assert f"in.yaml:{bold}:13: error: banned phrase 'Guaranteed' (brand/banned" in said
        assert f"in.yaml:{bold}:13: error: paid post without a disclosure" in said
        assert said.count("paid post without a disclosure") == 1  # the other arm says #ad
    assert dbcli("experiments", "list", "--json").json() == []  # nothing was written
