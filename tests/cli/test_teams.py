"""A team of three on SQLite through the CLI: the owner adds an editor and a reviewer, the
editor writes and submits, the reviewer approves, the editor schedules and publishes. The
attacks are refused with one line naming what is missing, exit 12, nothing changed.

On SQLite the acting login is the OS user; ``SOCIALHUB_LOGIN`` names another local user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from socialhub.sandbox_network.server import SandboxServer
from tests.conftest import CLIResult

Run = Callable[..., CLIResult]


@pytest.fixture
def as_login(cli: Run, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CLIResult]:
    """Run the CLI as ``login`` (None: the OS user, the owner)."""
    def run(login: str | None, *args: str, input: str | None = None) -> CLIResult:
        if login is None:
            monkeypatch.delenv("SOCIALHUB_LOGIN", raising=False)
        else:
            monkeypatch.setenv("SOCIALHUB_LOGIN", login)
        return cli(*args, input=input)
    return run


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(latency_ms=1).start()
    yield server
    server.stop()


@pytest.fixture
def team(as_login: Callable[..., CLIResult], sandbox: SandboxServer) -> Callable[..., CLIResult]:
    """Owner (the OS user), ed (editor) and rita (reviewer); a connected sandbox account;
    approvals required; a draft `launch` written by ed."""
    for args in (("members", "add", "ed", "--role", "editor"),
                 ("members", "add", "rita", "--role", "reviewer", "--org", "default"),
                 ("accounts", "connect", "sandbox", "--base-url", sandbox.url, "--handle",
                  "demo"),
                 ("orgs", "set", "default", "--approvals", "required")):
        r = as_login(None, *args)
        assert r.exit_code == 0, r.stderr
    r = as_login("ed", "posts", "create", "--name", "launch", "-b", "hello team",
                 "-t", "sandbox:@demo")
    assert r.exit_code == 0, r.stderr
    return as_login


def _post(run: Callable[..., CLIResult]) -> dict[str, object]:
    r = run(None, "posts", "show", "launch", "--json")
    assert r.exit_code == 0, r.stderr
    data: dict[str, object] = r.json()
    return data


def test_editor_reviewer_schedule_publish_end_to_end(
        team: Callable[..., CLIResult], sandbox: SandboxServer) -> None:
    run = team
    members = run(None, "members", "list", "--json").json()
    assert {(m["login"], m["role"]) for m in members} - {(m["login"], "owner")
                                                         for m in members} == {
        ("ed", "editor"), ("rita", "reviewer")}
    refused = run("ed", "posts", "schedule", "launch", "--at", "2099-01-01 09:00 UTC")
    assert refused.exit_code == 6
    assert refused.stderr.strip().endswith(
        "post launch needs approval (approvals: required); submit it with "
        "`socialhub posts submit launch`")
    assert run("ed", "posts", "submit", "launch", "-m", "ready").exit_code == 0
    approved = run("rita", "posts", "approve", "launch", "-m", "ship it", "--json")
    assert approved.exit_code == 0, approved.stderr
    assert approved.json()["approval"] == "approved"
    r = run("ed", "posts", "schedule", "launch", "--at", "2099-01-01 09:00 UTC")
    assert r.exit_code == 0, r.stderr
    r = run("ed", "posts", "publish-now", "launch", "--timeout", "20")
    assert r.exit_code == 0, r.stderr
    assert _post(run)["status"] == "published"
    thread = run("ed", "posts", "comments", "launch", "--json").json()
    assert [(c["author"], c["kind"]) for c in thread["comments"]] == [
        ("ed", "submitted"), ("rita", "approved")]


@pytest.mark.parametrize(("login", "args", "missing"), [
    ("ed", ("posts", "approve", "launch"), "posts.approve"),
    ("vic", ("posts", "create", "--name", "x", "-b", "hi", "-t", "sandbox:@demo"),
     "posts.write"),
    ("rita", ("posts", "schedule", "launch", "--at", "2099-01-01 09:00 UTC"), "posts.publish"),
    ("rita", ("posts", "edit", "launch", "-b", "changed"), "posts.write"),
    ("ed", ("members", "add", "mallory", "--role", "owner"), "members.manage"),
    ("ed", ("orgs", "set", "default", "--approvals", "off"), "settings.manage"),
])
def test_attacks_are_refused_with_one_line_and_nothing_changes(
        team: Callable[..., CLIResult], login: str, args: tuple[str, ...],
        missing: str) -> None:
    run = team
    assert run(None, "members", "add", "vic", "--role", "viewer").exit_code == 0
    before = (_post(run), run(None, "posts", "list", "--json").json(),
              run(None, "members", "list", "--json").json(),
              run(None, "orgs", "set", "default", "--json").json())
    r = run(login, *args)
    assert r.exit_code == 12
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and missing in lines[0] and login in lines[0]
    after = (_post(run), run(None, "posts", "list", "--json").json(),
             run(None, "members", "list", "--json").json(),
             run(None, "orgs", "set", "default", "--json").json())
    assert after == before


def test_an_editor_cannot_approve_their_own_post_even_as_admin(
        team: Callable[..., CLIResult]) -> None:
    run = team
    assert run(None, "members", "set-role", "ed", "admin").exit_code == 0
    assert run("ed", "posts", "submit", "launch").exit_code == 0
    r = run("ed", "posts", "approve", "launch")
    assert r.exit_code == 12 and "nobody reviews their own post" in r.stderr
    assert _post(run)["status"] == "pending_approval"


def test_an_admin_bypass_is_allowed_and_recorded(team: Callable[..., CLIResult]) -> None:
    run = team
    assert run(None, "members", "add", "ada", "--role", "admin").exit_code == 0
    r = run("ada", "posts", "schedule", "launch", "--at", "2099-01-01 09:00 UTC",
            "--bypass-approval")
    assert r.exit_code == 0, r.stderr
    assert _post(run)["status"] == "scheduled"
    assert run(None, "posts", "comments", "launch", "--json").json()["approved_by"] == "ada"
    r = run("ed", "posts", "create", "--name", "second", "-b", "again", "-t", "sandbox:@demo")
    assert r.exit_code == 0, r.stderr
    r = run("ed", "posts", "schedule", "second", "--at", "2099-01-01 09:00 UTC",
            "--bypass-approval")
    assert r.exit_code == 12 and "ed (editor) may not bypass approvals" in r.stderr


def test_a_stranger_is_told_how_to_get_in(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("posts", "list").exit_code == 0  # the OS user becomes the owner
    monkeypatch.setenv("SOCIALHUB_LOGIN", "mallory")
    r = cli("posts", "list", "--json")
    assert r.exit_code == 12 and r.stdout == ""
    assert "socialhub members add mallory --role editor --org default" in r.stderr


def test_orgs_add_use_and_list(cli: Run, home: Path) -> None:
    assert cli("orgs", "add", "shop").exit_code == 0
    r = cli("orgs", "use", "shop", "--json")
    assert r.exit_code == 0, r.stderr
    file = Path(r.json()["config_file"])
    assert yaml.safe_load(file.read_text())["organization"] == "shop"
    rows = {row["name"]: row for row in cli("orgs", "list", "--json").json()}
    assert rows["shop"]["current"] and rows["shop"]["role"] == "owner"
    assert cli("orgs", "use", "nope").exit_code == 5
    assert yaml.safe_load(file.read_text())["organization"] == "shop"


def test_last_owner_and_role_ceiling_through_the_cli(cli: Run) -> None:
    me = cli("members", "list", "--json").json()[0]["login"]
    r = cli("members", "remove", me)
    assert r.exit_code == 6 and "last owner" in r.stderr
    r = cli("members", "set-role", me, "viewer")
    assert r.exit_code == 6 and "last owner" in r.stderr
    r = cli("members", "add", "bob", "--role", "boss")
    assert r.exit_code == 4 and "unknown role 'boss'" in r.stderr


def test_members_roles_prints_the_matrix(cli: Run) -> None:
    rows = {r["role"]: r["permissions"] for r in cli("members", "roles", "--json").json()}
    assert "posts.approve" in rows["reviewer"] and "posts.publish" in rows["editor"]
    table = cli("members", "roles").stdout
    assert "posts.approve" in table and "reviewer" in table
