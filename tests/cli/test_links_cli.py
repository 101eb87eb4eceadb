"""Links from the command line: bad templates and base URLs are file:line errors, the
measured length is the tagged one, and `links list|show --json`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLIResult

CAMPAIGN = """\
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec:
  utm:
    utm_source: "{platform}"
    utm_content: "{variant}-{network}"
"""

POST = """\
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch, campaign: spring}
spec:
  body: "%s"
  targets:
    - account: bluesky:@shop.example.com
"""


def test_an_unknown_placeholder_is_a_file_line_error_and_nothing_is_applied(
        dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    path = tmp_path / "spring.yaml"
    path.write_text(CAMPAIGN)
    linted = dbcli("lint", str(path))
    assert linted.exit_code == 4
    assert f"{path}:7:" in linted.stdout and "unknown placeholder {network}" in linted.stdout
    applied = dbcli("apply", "-f", str(path))
    assert applied.exit_code == 4
    assert f"{path}:7:" in applied.stdout + applied.stderr
    listed = dbcli("campaigns", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_a_short_base_url_without_https_is_a_config_file_line_error(
        cli: Callable[..., CLIResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("timezone: UTC\nlinks:\n  shorten: true\n"
                      "  short_base_url: http://go.example\n")
    monkeypatch.setenv("SOCIALHUB_CONFIG", str(config))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "post.yaml").write_text(POST % "hello")
    for args in (("lint", str(tmp_path / "m")), ("apply", "-f", str(tmp_path / "m"))):
        result = cli(*args)
        assert result.exit_code != 0
        assert f"{config}:4: links.short_base_url" in result.stderr, result.stderr
        assert "not HTTPS" in result.stderr


def test_lint_measures_the_tagged_link_not_the_written_one(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    # 300 graphemes on Bluesky: the text fits as written, not once its link is tagged.
    url = "https://shop.example.com/spring"
    body = "a" * (300 - len(url) - 1) + " " + url
    (tmp_path / "spring.yaml").write_text(CAMPAIGN.replace("-{network}", "") + "---\n"
                                          + POST % body)
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 4
    assert "over the 300 limit" in result.stdout
    (tmp_path / "spring.yaml").write_text(CAMPAIGN.replace("-{network}", "") + "---\n"
                                          + POST.replace("campaign: spring", "") % body)
    assert cli("lint", str(tmp_path)).exit_code == 0  # outside a campaign: not tagged


def test_links_list_and_show_say_what_is_unknown(dbcli: Callable[..., CLIResult]) -> None:
    listed = dbcli("links", "list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    shown = dbcli("links", "show", "nope1234", "--json")
    assert shown.exit_code != 0 and "no short link 'nope1234'" in shown.stderr


def test_posts_create_measures_links_as_they_will_be_sent(
        dbcli: Callable[..., CLIResult]) -> None:
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("campaigns", "add", "spring").exit_code == 0
    url = "https://shop.example.com/spring"
    body = "a" * (300 - len(url) - 1) + " " + url
    target = ("-t", "bluesky:@shop.example.com")
    tagged = dbcli("posts", "create", "-b", body, *target, "--campaign", "spring",
                   "--name", "in-campaign")
    assert tagged.exit_code == 4, tagged.stderr
    assert "over the 300 limit" in tagged.stderr
    plain = dbcli("posts", "create", "-b", body, *target, "--name", "no-campaign")
    assert plain.exit_code == 0, plain.stderr
    words = "word " * 55 + url + " and more words" * 10
    split = dbcli("posts", "create", "-b", words, *target, "--campaign", "spring",
                  "--name", "split", "--split", "--json")
    assert split.exit_code == 0, split.stderr
    from socialhub.core.links import LinkStyle, LinkValues, as_sent
    from socialhub.core.text_measure import measure
    from socialhub.platforms.registry import rules_for

    thread = dbcli("posts", "show", "split", "--json").json()["targets"][0]["thread"]
    assert len(thread) >= 2 and url in " ".join(thread)  # stored as written
    values = LinkValues("bluesky", "spring", "split", "shop.example.com")
    assert all(measure(as_sent(part, LinkStyle(), values), rules_for("bluesky")).valid
               for part in thread)


def test_a_campaigns_template_applies_exports_and_applies_again_unchanged(
        dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    path = tmp_path / "spring.yaml"
    path.write_text(CAMPAIGN.replace("-{network}", "") + "---\n" + CAMPAIGN.replace(
        "name: spring", "name: quiet").split("spec:")[0] + "spec:\n  utm: {}\n")
    assert dbcli("apply", "-f", str(path)).exit_code == 0
    exported = dbcli("export", "--kind", "Campaign")
    assert exported.exit_code == 0, exported.stderr
    assert 'utm_content: "{variant}"' in exported.stdout or \
        "utm_content: '{variant}'" in exported.stdout
    assert "utm: {}" in exported.stdout  # tagging turned off survives the round trip
    again = tmp_path / "again.yaml"
    again.write_text(exported.stdout)
    second = dbcli("apply", "-f", str(again), "--json")
    assert second.exit_code == 0, second.stderr
    assert {c["action"] for c in second.json()["changes"]} == {"unchanged"}


def test_diff_shows_the_length_as_sent(dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    text = "New https://shop.example.com/p"
    (tmp_path / "m.yaml").write_text(CAMPAIGN.replace("-{network}", "") + "---\n"
                                     + POST % text)
    diff = dbcli("diff", "-f", str(tmp_path), "--json")
    assert diff.exit_code == 13, diff.stderr  # changes pending
    found = [ln for c in diff.json()["changes"] for d in c.get("details", [])
             for ln in d.get("lengths", [])]
    tagged = "New https://shop.example.com/p?utm_source=bluesky&utm_content=" \
             "launch-bluesky-shop.example.com"
    assert [ln["length"] for ln in found] == [len(tagged)]
