"""`kind: Organization` (settings) and `kind: Member` (login, role; never a secret) export
and apply like the other kinds: round trip, second apply unchanged, the team rules hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CLIResult

Cli = Callable[..., CLIResult]


def changes(result: CLIResult) -> list[tuple[str, str, str]]:
    data: Any = result.json()
    return [(c["kind"], c["name"], c["action"]) for c in data["changes"]]


def test_organization_settings_round_trip_on_both_databases(dbcli: Cli, tmp_path: Path) -> None:
    assert dbcli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    exported = dbcli("export", "--kind", "organization")
    assert exported.exit_code == 0, exported.stderr
    assert yaml.safe_load(exported.stdout) == {
        "apiVersion": "socialhub/v1", "kind": "Organization", "metadata": {"name": "default"},
        "spec": {"settings": {"approvals": "required"}}}
    (tmp_path / "org.yaml").write_text(exported.stdout)
    assert dbcli("orgs", "set", "default", "--approvals", "off").exit_code == 0
    applied = dbcli("apply", "-f", str(tmp_path / "org.yaml"), "--json")
    assert applied.exit_code == 0, applied.stderr
    assert changes(applied) == [("Organization", "default", "changed")]
    assert dbcli("orgs", "set", "default", "--json").json()["settings"]["approvals"] == "required"
    again = dbcli("apply", "-f", str(tmp_path / "org.yaml"), "--json")
    assert changes(again) == [("Organization", "default", "unchanged")]


def test_a_default_export_leaves_people_out(dbcli: Cli, tmp_path: Path) -> None:
    assert dbcli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    assert "kind: Organization" not in dbcli("export").stdout
    assert dbcli("export", "-o", str(tmp_path / "out")).exit_code == 0
    assert not (tmp_path / "out" / "organization.yaml").exists()


def test_members_round_trip_into_a_fresh_database(cli: Cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (("members", "add", "ed", "--role", "editor"),
                 ("members", "add", "rita", "--role", "reviewer"),
                 ("orgs", "set", "default", "--approvals", "required")):
        assert cli(*args).exit_code == 0
    out = tmp_path / "team"
    assert cli("export", "-o", str(out), "-k", "organization", "-k", "members").exit_code == 0
    members = list(yaml.safe_load_all((out / "members.yaml").read_text()))
    assert {(d["metadata"]["name"], d["spec"]["role"]) for d in members} >= {
        ("ed", "editor"), ("rita", "reviewer")}
    assert "password" not in (out / "members.yaml").read_text()

    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    applied = cli("apply", "-f", str(out), "--json")
    assert applied.exit_code == 0, applied.stderr
    got = set(changes(applied))
    assert {("Member", "ed", "created"), ("Member", "rita", "created"),
            ("Organization", "default", "changed")} <= got
    again = cli("apply", "-f", str(out), "--json")
    assert {action for _, _, action in changes(again)} == {"unchanged"}
    second = tmp_path / "second"
    assert cli("export", "-o", str(second), "-k", "organization", "-k", "members").exit_code == 0
    for name in ("organization.yaml", "members.yaml"):
        assert (second / name).read_text() == (out / name).read_text()


def test_an_editor_cannot_apply_members_and_nothing_changes(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("members", "add", "ed", "--role", "editor").exit_code == 0
    (tmp_path / "m.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Member\nmetadata: {name: ed}\nspec: {role: owner}\n"
        "---\napiVersion: socialhub/v1\nkind: Member\nmetadata: {name: eve}\n"
        "spec: {role: viewer}\n")
    before = cli("members", "list", "--json").json()
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ed")
    r = cli("apply", "-f", str(tmp_path / "m.yaml"))
    assert r.exit_code == 12 and "members.manage" in r.stderr
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    assert cli("members", "list", "--json").json() == before


def test_an_admin_cannot_make_an_owner_by_manifest(cli: Cli, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("members", "add", "ada", "--role", "admin").exit_code == 0
    (tmp_path / "m.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Member\nmetadata: {name: ada}\nspec: {role: owner}\n")
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ada")
    r = cli("apply", "-f", str(tmp_path / "m.yaml"))
    assert r.exit_code == 4 and "may not change ada to owner" in r.stderr


@pytest.mark.parametrize(("doc", "message"), [
    ("kind: Organization\nmetadata: {name: elsewhere}\n", "this is organization 'default'"),
    ("kind: Member\nmetadata: {name: bob}\nspec: {role: boss}\n", "spec.role"),
    ("kind: Member\nmetadata: {name: bob}\nspec: {role: editor, password: x}\n",
     "unknown field 'spec.password'"),
    ("kind: Organization\nmetadata: {name: default}\nspec: {settings: {approvals: maybe}}\n",
     "approvals"),
])
def test_bad_people_manifests_are_refused_with_their_place(
        cli: Cli, tmp_path: Path, doc: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: socialhub/v1\n" + doc)
    r = cli("apply", "-f", str(tmp_path / "bad.yaml"))
    assert r.exit_code == 4 and message in r.stderr and "bad.yaml:" in r.stderr


def test_campaign_approvals_round_trip(dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Campaign\nmetadata: {name: spring}\n"
        "spec: {approvals: required}\n")
    assert dbcli("apply", "-f", str(tmp_path / "c.yaml")).exit_code == 0
    exported = yaml.safe_load(dbcli("export", "-k", "campaigns").stdout)
    assert exported["spec"] == {"approvals": "required"}
    again = dbcli("apply", "-f", str(tmp_path / "c.yaml"), "--json")
    assert changes(again) == [("Campaign", "spring", "unchanged")]


def test_apply_cannot_schedule_an_unapproved_post_when_approvals_are_required(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert cli("members", "add", "ed", "--role", "editor").exit_code == 0
    assert cli("members", "add", "rita", "--role", "reviewer").exit_code == 0
    assert cli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    post = ("apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: launch}\n"
            "spec: {body: hello, targets: [{account: 'bluesky:@shop.example.com'%s}]}\n")
    (tmp_path / "timed.yaml").write_text(post % ", at: '2099-01-01 09:00 UTC'")
    (tmp_path / "draft.yaml").write_text(post % "")
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ed")
    r = cli("apply", "-f", str(tmp_path / "timed.yaml"))
    assert r.exit_code == 4 and "post launch needs approval (approvals: required)" in r.stderr
    assert cli("posts", "list", "--json").json() == []
    assert cli("apply", "-f", str(tmp_path / "draft.yaml")).exit_code == 0
    assert cli("posts", "comments", "launch", "--json").json()["created_by"] == "ed"
    assert cli("posts", "submit", "launch").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_LOGIN", "rita")
    assert cli("posts", "approve", "launch").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ed")
    r = cli("apply", "-f", str(tmp_path / "timed.yaml"))  # the approved content, now timed
    assert r.exit_code == 0, r.stderr
    assert cli("posts", "show", "launch", "--json").json()["status"] == "scheduled"
    (tmp_path / "edited.yaml").write_text(
        (post % ", at: '2099-01-01 09:00 UTC'").replace("body: hello", "body: changed"))
    r = cli("apply", "-f", str(tmp_path / "edited.yaml"))
    assert r.exit_code == 4 and "needs approval" in r.stderr
