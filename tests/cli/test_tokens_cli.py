"""`socialhub tokens`: created for oneself, shown once, stored hashed, listed, revoked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest


def test_a_token_is_shown_once_and_stored_only_as_a_hash(dbcli: Callable[..., Any]) -> None:
    made = dbcli("tokens", "create", "--name", "ci", "--scope", "posts:write,analytics:read",
                 "--expires", "30d", "--json")
    assert made.exit_code == 0, made.stderr
    row = json.loads(made.stdout)
    secret = row["token"]
    assert secret.startswith("shp_") and len(secret) > 40
    assert row["scopes"] == ["posts:write", "analytics:read"] and row["state"] == "active"
    listed = dbcli("tokens", "list", "--json")
    assert secret not in listed.stdout
    assert [(r["name"], r["state"]) for r in json.loads(listed.stdout)] == [("ci", "active")]
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    with hub.transaction() as session:
        from sqlalchemy import text

        stored = [tuple(r) for r in session.execute(text("SELECT token_hash, prefix FROM "
                                                         "api_tokens")).all()]
        trail = session.execute(text("SELECT change FROM audit_events WHERE "
                                     "record_kind = 'ApiToken'")).all()
    hub.dispose()
    assert secret not in str(stored) and secret not in str(trail)
    assert stored[0][1] == secret[:10]
    assert dbcli("tokens", "revoke", "ci").exit_code == 0
    assert json.loads(dbcli("tokens", "list", "--json").stdout)[0]["state"] == "revoked"


def test_a_repeated_scope_option_adds_scopes(dbcli: Callable[..., Any]) -> None:
    made = dbcli("tokens", "create", "--name", "ci", "--scope", "posts:write",
                 "--scope", "analytics:read,inbox:read", "--json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["scopes"] == ["posts:write", "analytics:read",
                                                 "inbox:read"]


@pytest.mark.parametrize(("args", "message"), [
    (["--scope", "admin:all"], "unknown scope 'admin:all'"),
    (["--scope", ""], "at least one scope"),
    (["--scope", "posts:read", "--expires", "soon"], "not a duration"),
    (["--scope", "posts:read", "--name", "bad name"], "token name"),
])
def test_bad_input_is_a_one_line_refusal(cli: Callable[..., Any], args: list[str],
                                         message: str) -> None:
    full = ["tokens", "create", *args] if "--name" in args else \
        ["tokens", "create", "--name", "t", *args]
    result = cli(*full)
    assert result.exit_code != 0
    assert message in result.stderr
    assert json.loads(cli("tokens", "list", "--json").stdout) == []


def test_a_second_token_with_the_same_name_is_refused(cli: Callable[..., Any]) -> None:
    assert cli("tokens", "create", "--name", "t", "--scope", "posts:read").exit_code == 0
    again = cli("tokens", "create", "--name", "t", "--scope", "posts:read")
    assert again.exit_code != 0 and "exists already" in again.stderr
    assert cli("tokens", "revoke", "nope").exit_code != 0
