"""Organizations: only `orgs add` creates one; a typo is named, never silently created."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CLIResult

Run = Callable[..., CLIResult]


def organizations(url: str) -> list[tuple[str, int]]:
    """Every organization and its member count, read straight from the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(text(
                "SELECT o.name, (SELECT count(*) FROM memberships m WHERE m.org_id = o.id) "
                "FROM organizations o ORDER BY o.name"))]
    finally:
        engine.dispose()


def test_a_fresh_database_gets_the_configured_organization_on_first_use(
        dbcli: Run, db_home: str) -> None:
    assert organizations(db_home) == []
    r = dbcli("posts", "list", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == []
    assert organizations(db_home) == [("default", 1)]  # with its owner


@pytest.mark.parametrize("command", [
    ("posts", "list", "--json"),
    ("accounts", "list", "--json"),
    ("calendar", "--json"),
    ("accounts", "add", "bluesky:@a.example.com"),
])
def test_a_mistyped_organization_is_named_with_the_known_ones_and_nothing_is_written(
        dbcli: Run, db_home: str, monkeypatch: pytest.MonkeyPatch,
        command: tuple[str, ...]) -> None:
    assert dbcli("orgs", "add", "acme").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", "shop")
    assert dbcli("accounts", "list").exit_code == 5  # shop does not exist yet: not created
    assert dbcli("orgs", "add", "shop").exit_code == 0
    before = organizations(db_home)
    assert [name for name, _ in before] == ["acme", "shop"]
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", "acme-typo")
    r = dbcli(*command)
    assert r.exit_code == 5, r.stderr
    assert r.stdout == ""
    assert r.stderr == ("error: organization 'acme-typo' does not exist (known: acme, shop); "
                        "create it with `socialhub orgs add acme-typo`\n")
    assert organizations(db_home) == before


def test_orgs_add_creates_an_organization_the_config_can_then_use(
        dbcli: Run, db_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dbcli("orgs", "add", "shop").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", "shop")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert [a["ref"] for a in dbcli("accounts", "list", "--json").json()] == [
        "bluesky:@shop.example.com"]
    monkeypatch.delenv("SOCIALHUB_ORGANIZATION")
    # "default" did not exist when shop was added, and was not created by the reads since.
    r = dbcli("accounts", "list", "--json")
    assert r.exit_code == 5
    assert "(known: shop)" in r.stderr
    assert organizations(db_home) == [("shop", 1)]


def test_orgs_list_marks_the_configured_organization(
        dbcli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dbcli("orgs", "list", "--json").json() == []  # listing creates nothing
    assert dbcli("orgs", "add", "acme").exit_code == 0
    assert dbcli("orgs", "add", "shop").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", "shop")
    rows = dbcli("orgs", "list", "--json").json()
    assert [(r["name"], r["members"], r["current"], r["role"]) for r in rows] == [
        ("acme", 1, False, "owner"), ("shop", 1, True, "owner")]  # whoever added them owns them
    plain = dbcli("orgs", "list")
    assert plain.stdout.splitlines() == ["  acme  (1 member)  owner", "* shop  (1 member)  owner"]


@pytest.mark.parametrize(("name", "code", "message"), [
    ("shop", 6, "error: organization 'shop' exists already\n"),
    ("", 4, "error: organization name is empty\n"),
    (" shop", 4, "error: organization name ' shop' has leading or trailing spaces\n"),
    ("a\tb", 4, "error: organization name 'a\\tb' contains control characters\n"),
    ("x" * 201, 4, "error: organization name is 201 characters long; the limit is 200\n"),
])
def test_a_bad_or_taken_organization_name_is_refused_and_nothing_changes(
        dbcli: Run, db_home: str, name: str, code: int, message: str) -> None:
    assert dbcli("orgs", "add", "shop").exit_code == 0
    r = dbcli("orgs", "add", name)
    assert (r.exit_code, r.stderr) == (code, message)
    assert organizations(db_home) == [("shop", 1)]
