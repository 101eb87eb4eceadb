"""``socialhub audit list|verify`` from the user's side, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from sqlalchemy import text

from socialhub.db.engine import make_engine
from tests.conftest import CLIResult

Run = Callable[..., CLIResult]


def _tamper(url: str, sql: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text(sql))
        if pg:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    engine.dispose()


def test_changes_are_listed_as_json_and_csv(dbcli: Run) -> None:
    assert dbcli("campaigns", "add", "spring").exit_code == 0
    assert dbcli("campaigns", "add", "summer").exit_code == 0
    rows = dbcli("audit", "list", "--json").json()
    assert [(r["record_kind"], r["record_name"], r["channel"]) for r in rows] == [
        ("Campaign", "summer", "cli"), ("Campaign", "spring", "cli")]
    got = dbcli("audit", "list", "--csv", "--record", "campaign:spring")
    parsed = list(csv.DictReader(io.StringIO(got.stdout)))
    assert got.exit_code == 0 and [r["record_name"] for r in parsed] == ["spring"]
    assert json.loads(parsed[0]["change"]) == rows[1]["change"]
    paged = dbcli("audit", "list", "--limit", "1", "--json")
    assert len(paged.json()) == 1 and "showing 1 of 2 changes" in paged.stderr
    table = dbcli("audit", "list")
    assert table.exit_code == 0 and "summer" in table.stdout


def test_bad_filters_fail_with_one_line(dbcli: Run) -> None:
    for args in (["--since", "soonish"], ["--channel", "fax"], ["--json", "--csv"]):
        r = dbcli("audit", "list", *args)
        assert r.exit_code == 4 and r.stdout == "" and r.stderr.count("\n") == 1, args


def test_verify_exits_0_when_intact_and_15_naming_the_first_broken_row(
        dbcli: Run, db_home: str) -> None:
    for name in ("a", "b", "c"):
        assert dbcli("campaigns", "add", name).exit_code == 0
    ok = dbcli("audit", "verify", "--json")
    assert ok.exit_code == 0 and ok.json()["intact"] is True
    assert ok.json()["chains"][0]["rows"] == 3
    assert dbcli("audit", "verify").exit_code == 0
    ids = [r["id"] for r in reversed(dbcli("audit", "list", "--json").json())]
    _tamper(db_home, f"UPDATE audit_events SET record_name = 'x' WHERE id = {ids[1]}")
    bad = dbcli("audit", "verify")
    assert bad.exit_code == 15 and bad.stderr.count("\n") == 1
    assert f"row {ids[1]}" in bad.stderr and "edited" in bad.stderr
    report = dbcli("audit", "verify", "--json")
    assert report.exit_code == 15
    assert report.json()["chains"][0]["broken"]["id"] == ids[1]
