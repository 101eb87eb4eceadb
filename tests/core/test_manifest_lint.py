"""Manifests without a database: schemas, positions of errors, `socialhub lint`, YAML round-trip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialhub.core.manifests import MODELS, dump_documents
from socialhub.platforms.registry import platform_rules
from socialhub.services.manifests.documents import parse_manifests
from tests.conftest import CLIResult

GOOD = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
spec:
  credentials: {app_password: "env:SHOP_BSKY_PASSWORD"}
---
apiVersion: socialhub/v1
kind: Slot
spec: {account: "bluesky:@shop.example.com", day: monday, time: 9:30, zone: Europe/Berlin}
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: spring-launch, campaign: spring}
spec:
  body: "We ship on Monday."
  targets:
    - account: bluesky:@shop.example.com
      at: 2030-12-01T09:00:00 Europe/Berlin
    - account: x:@shop
      at: 2030-12-01T09:00+01:00
"""


def lines(result: CLIResult) -> list[str]:
    return [line for line in result.stdout.splitlines() if line]


def test_lint_passes_clean_files(cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "ok: 3 documents" in result.stderr


def test_yaml_quirks_stay_what_was_written() -> None:
    manifests, issues = parse_manifests([("a.yaml", GOOD)])
    assert issues == []
    slot = manifests[1].model.spec
    assert (slot.day, slot.time) == ("mon", "09:30")  # YAML 1.1 would read 9:30 as 570
    assert manifests[2].model.spec.targets[0].at == "2030-12-01T09:00:00 Europe/Berlin"


BAD_CASES: dict[str, tuple[str, str, str]] = {
    # name: (document, expected "line:column", part of the message)
    "malformed YAML": ("kind: Post\nmetadata: {name: [oops\n", "3:1", "malformed YAML"),
    "unknown kind": ("apiVersion: socialhub/v1\nkind: Tweet\nmetadata: {name: a}\n", "2:7",
                     "unknown kind 'Tweet'"),
    "unknown field": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                      "  body: hi\n  colour: red\n", "6:3", "unknown field 'spec.colour'"),
    "unknown zone": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                     "  body: hi\n  targets:\n    - account: bluesky:@a.example\n"
                     "      at: 2030-12-01 09:00 Mars/Olympus\n", "8:11",
                     "unknown time zone 'Mars/Olympus'"),
    "DST gap": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                "  body: hi\n  targets:\n    - account: bluesky:@a.example\n"
                "      at: 2030-03-31 02:30 Europe/Berlin\n", "8:11", "does not exist"),
    "over-length text": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                         "  body: hi\n  targets:\n    - account: x:@shop\n"
                         f"      text: {'word ' * 80}\n", "8:13",
                         "is 399 weighted, over the 280 limit"),
    "time without zone": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                          "  body: hi\n  targets:\n    - account: bluesky:@a.example\n"
                          "      at: 2030-12-01 09:00\n", "8:11", "needs a zone"),
    "key given twice": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                        "  body: hi\n  body: ho\n", "6:3", "key 'body' is given twice"),
    "unknown platform": ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec:\n"
                         "  body: hi\n  targets:\n    - account: myspace:@tom\n", "7:16",
                         "unknown platform 'myspace'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_lint_names_file_line_and_column(cli: Callable[..., CLIResult], tmp_path: Path,
                                          case: str) -> None:
    text, where, message = BAD_CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = cli("lint", str(path))
    assert result.exit_code == 4  # VALIDATION, as apply exits for the same files
    assert len(lines(result)) == 1, result.stdout
    assert lines(result)[0].startswith(f"{path}:{where}: ")
    assert message in lines(result)[0]


def test_lint_reports_every_problem_in_every_file(cli: Callable[..., CLIResult],
                                                  tmp_path: Path) -> None:
    for i, case in enumerate(sorted(BAD_CASES)):
        (tmp_path / f"{i}.yaml").write_text(BAD_CASES[case][0])
    result = cli("lint", str(tmp_path), "--json")
    assert result.exit_code == 4  # VALIDATION, as apply exits for the same files
    data: Any = result.json()
    assert data["ok"] is False
    assert len(data["issues"]) == len(BAD_CASES)


def test_credentials_hold_references_and_a_secret_is_never_echoed(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    path = tmp_path / "acct.yaml"
    path.write_text("apiVersion: socialhub/v1\nkind: Account\n"
                    "metadata: {name: 'bluesky:@shop.example.com'}\n"
                    "spec:\n  credentials:\n    app_password: hunter2-very-secret\n")
    result = cli("lint", str(path))
    assert result.exit_code == 4  # VALIDATION, as apply exits for the same files
    assert f"{path}:6:19: " in result.stdout
    assert "keyring:NAME or env:VAR" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr


def test_the_same_record_twice_is_an_error(cli: Callable[..., CLIResult],
                                           tmp_path: Path) -> None:
    doc = "apiVersion: socialhub/v1\nkind: Campaign\nmetadata: {name: spring}\n"
    (tmp_path / "a.yaml").write_text(doc + "---\n" + doc)
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 4  # VALIDATION, as apply exits for the same files
    assert "Campaign spring is defined twice" in result.stdout


def test_lint_uses_an_instance_limit_from_an_account_manifest(
        cli: Callable[..., CLIResult], tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Account\nmetadata: {name: 'mastodon:@me@big.example'}\n"
        "spec: {settings: {max_characters: 1000}}\n---\n"
        "apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: long}\nspec:\n"
        f"  body: {'word ' * 150}\n  targets: [{{account: 'mastodon:@me@big.example'}}]\n")
    assert cli("lint", str(tmp_path)).exit_code == 0


# -- the YAML a manifest is written as reads back as the same manifest -------------------------

# Free text, plus words YAML 1.1 would read as something else if written carelessly.
_tricky = st.sampled_from(["yes", "no", "~", "null", "1e3", "09:30", "2030-01-01", "# x", ": ",
                           "- ", "'", '"', "&a", "*a", "!!str", " lead", "trail ", "\n"])
_text = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
                 | _tricky, max_size=4).map("".join)
_name = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
_when = st.sampled_from(["2030-12-01T09:00 Europe/Berlin", "2031-03-30T02:30 UTC",
                         "2030-06-15T23:45:10 America/New_York", None])
_refs = st.sampled_from(["bluesky:@shop.example.com", "mastodon:@shop@social.example",
                         "linkedin:@shop", "sandbox:@demo"])


@st.composite
def post_docs(draw: st.DrawFn) -> dict[str, Any]:
    refs = draw(st.lists(_refs, unique=True, max_size=3))
    targets = []
    for ref in refs:
        t: dict[str, Any] = {"account": ref}
        if draw(st.booleans()):
            t["text"] = draw(_text)
        if draw(st.booleans()):
            t["first_comment"] = draw(_text)
        if draw(st.booleans()):
            t["options"] = {draw(_name): draw(_text | st.integers() | st.booleans())}
        at = draw(_when)
        if at:
            t["at"] = at
        targets.append(t)
    metadata: dict[str, Any] = {"name": draw(_name)}
    if draw(st.booleans()):
        metadata["campaign"] = draw(_name)
    return {"apiVersion": "socialhub/v1", "kind": "Post", "metadata": metadata,
            "spec": {"body": draw(_text) + "x", "tags": draw(st.lists(_text, max_size=3)),
                     "paid": draw(st.booleans()), "targets": targets}}


@st.composite
def campaign_docs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"description": draw(_text),
                            "status": draw(st.sampled_from(["planned", "active", "archived"]))}
    if draw(st.booleans()):
        spec["budget"] = f"{draw(st.integers(0, 10**9)) / 100:.2f}"
    return {"apiVersion": "socialhub/v1", "kind": "Campaign",
            "metadata": {"name": draw(_name)}, "spec": spec}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(post_docs() | campaign_docs(), min_size=1, max_size=4,
                unique_by=lambda d: (d["kind"], d["metadata"]["name"])))
def test_written_manifests_read_back_equal(docs: list[dict[str, Any]]) -> None:
    known = {"platforms": platform_rules()}  # the networks an account reference may name
    expected = [MODELS[d["kind"]].model_validate(d, context=known) for d in docs]
    parsed, issues = parse_manifests([("export.yaml", dump_documents(docs))])
    assert issues == []
    assert [m.model for m in parsed] == expected


# -- docs/manifests.md stays true to the schemas --------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "manifests.md"


def test_reference_documents_every_field_of_every_kind() -> None:
    from pydantic import BaseModel

    text = DOC.read_text()
    missing = []
    for kind, model in MODELS.items():
        assert f"### {kind}" in text
        spec_type = model.model_fields["spec"].annotation
        assert isinstance(spec_type, type) and issubclass(spec_type, BaseModel)
        fields = list(spec_type.model_fields)
        if kind == "Post":
            from socialhub.core.manifests import Target

            fields += list(Target.model_fields)
        missing += [f"{kind}.{f}" for f in fields if f"`{f}`" not in text]
    assert missing == []


def test_reference_examples_are_valid_manifests() -> None:
    blocks = [b.split("```", 1)[0] for b in DOC.read_text().split("```yaml\n")[1:]]
    examples = [b for b in blocks if b.startswith("apiVersion:")]
    assert len(examples) >= 5
    kinds = set()
    for i, block in enumerate(examples):
        manifests, issues = parse_manifests([(f"example-{i}", block)])
        assert issues == [], block
        kinds |= {m.kind for m in manifests}
    assert kinds == set(MODELS)
