"""``posts list`` through the database driver alone (``services.direct``, SQLite only):
the same rows as through SQLAlchemy, page by page, and the same bytes from the CLI.

On PostgreSQL the driver's read declines (``read_directly`` answers None) and the
command reads through the hub as before; the CLI comparisons run there too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select, text, update

import socialhub.services.direct as direct_service
from socialhub.core.policy import Role
from socialhub.db.queries import posts as orm_queries
from socialhub.db.queries import posts_direct
from socialhub.errors import PermissionDeniedError
from socialhub.services.authoring.post_list_direct import (
    count_posts_direct,
    list_post_summaries_direct,
)
from socialhub.services.context import Actor, DirectCtx
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from tests.db.test_list_query_counts import CLI, create_draft

#: Filters and pages the direct read answers (a campaign or an account goes to the hub).
PAGES: list[dict[str, Any]] = [{}, {"limit": 2, "offset": 1}, {"offset": 2}, {"limit": 50},
                               {"status": "draft"}, {"status": "scheduled", "limit": 1},
                               {"status": "nothing-has-it"}, {"offset": 99}]


def vary(hub: Hub) -> None:
    """Beyond the fill: a draft with a thread, media and options, a paid post, and a
    delivery that failed with a remote id, URL and error."""
    from socialhub.db.models import Delivery, Post

    with hub.context("cli") as ctx:
        create_draft(ctx)
        ctx.session.execute(update(Post).where(Post.name == "post-001").values(paid=True))
        delivery = ctx.session.scalars(select(Delivery).order_by(Delivery.id)).first()
        assert delivery is not None
        delivery.status, delivery.attempts = "failed", 3
        delivery.remote_id, delivery.remote_url = "r-1", "https://x.example/r-1"
        delivery.last_error = "rate limited: try again"


def direct_read(read: Any) -> Any:
    """``read(ctx)`` through the driver with the test's configuration; None if declined."""
    answer = direct_service.read_directly(load_config(), "cli", read)
    return None if answer is None else answer[0]


def is_sqlite(hub: Hub) -> bool:
    return hub.config.database_url.startswith("sqlite")


def test_the_drivers_pages_are_the_hubs_pages(filled: Hub) -> None:
    from socialhub.services.authoring.posts import count_posts
    from socialhub.services.authoring.scheduling import list_post_summaries

    vary(filled)
    for page in PAGES:
        status = page.get("status")
        found = direct_read(lambda ctx, page=page, status=status: (
            list_post_summaries_direct(ctx, **page), count_posts_direct(ctx, status=status),
            posts_direct.post_summary_rows_direct(ctx.conn, ctx.org_id, **page)))
        if not is_sqlite(filled):
            assert found is None  # PostgreSQL: the hub's path
            return
        with filled.context("cli") as ctx:
            where = orm_queries.post_conditions(ctx.org_id, status=status, campaign_id=None,
                                                account_id=None, start=None, end=None)
            rows = orm_queries.post_summary_rows(
                ctx.session, where, offset=page.get("offset", 0), limit=page.get("limit"))
            expected = (list_post_summaries(ctx, **page), count_posts(ctx, status=status), rows)
        assert found == expected, page
    summaries = direct_read(lambda ctx: list_post_summaries_direct(ctx))
    assert any(s["paid"] for s in summaries) and any(
        t["delivery"] and t["delivery"]["last_error"] for s in summaries for t in s["targets"])
    assert any(t["thread"] and t["options"] for s in summaries for t in s["targets"])


@pytest.mark.parametrize("args", [
    ["--json", "--all"], ["--json"], ["--json", "--limit", "2", "--offset", "1"],
    ["--json", "--status", "draft"], ["--json", "-n", "1"], ["--json", "--offset", "40"],
    [], ["--status", "scheduled", "-n", "2"],
])
def test_posts_list_prints_the_same_bytes_through_the_driver(
        filled: Hub, dbcli: CLI, counting: list[str], monkeypatch: pytest.MonkeyPatch,
        args: list[str]) -> None:
    vary(filled)
    counting.clear()
    quick = dbcli("posts", "list", *args)
    through_sqlalchemy = len(counting)
    monkeypatch.setattr(direct_service, "read_directly", lambda *_: None)
    full = dbcli("posts", "list", *args)
    assert quick.exit_code == 0, quick.stderr
    assert (quick.stdout, quick.stderr) == (full.stdout, full.stderr)
    # On SQLite the driver read it all: not one statement went through SQLAlchemy.
    assert (through_sqlalchemy == 0) == is_sqlite(filled)


def test_filters_on_a_campaign_or_an_account_go_through_the_hub(
        filled: Hub, dbcli: CLI, counting: list[str]) -> None:
    for args in (["--campaign", "campaign-001"], ["--account", "sandbox:@shop001"]):
        counting.clear()
        done = dbcli("posts", "list", "--json", *args)
        assert done.exit_code == 0, done.stderr
        assert [p["name"] for p in json.loads(done.stdout)] == ["post-001"]
        assert counting  # the hub's read


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the driver's read
def test_the_driver_declines_what_it_cannot_vouch_for(
        filled: Hub, dbcli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:

    def count() -> Any:
        return direct_read(lambda ctx: count_posts_direct(ctx))

    assert count() == 3
    monkeypatch.setenv("SOCIALHUB_LOGIN", "not-a-member")  # the hub claims or refuses
    assert count() is None
    refused = dbcli("posts", "list", "--json")
    assert refused.exit_code != 0 and "not-a-member is not a member" in refused.stderr
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", "not-made-yet")
    assert count() is None
    monkeypatch.delenv("SOCIALHUB_ORGANIZATION")
    monkeypatch.setenv("SOCIALHUB_DATABASE_ECHO", "true")  # the hub logs its SQL
    assert count() is None
    monkeypatch.delenv("SOCIALHUB_DATABASE_ECHO")
    with filled.transaction() as session:  # a timestamp SQLAlchemy did not write
        session.execute(text("UPDATE posts SET updated_at = '2026-12-01T08:00:00' "
                             "WHERE name = 'post-000'"))
    assert count() == 3
    assert direct_read(lambda ctx: list_post_summaries_direct(ctx)) is None
    with filled.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    assert count() is None


def test_the_use_cases_check_the_permission_before_reading() -> None:
    class Untouchable:
        sqlite = True

        def rows(self, *_: Any) -> Any:
            raise AssertionError("read before the permission was checked")

    no_scope = Actor(name="bot", role=Role.OWNER, scopes=frozenset())
    ctx = DirectCtx(conn=Untouchable(), org_id=1, actor=no_scope,  # type: ignore[arg-type]
                    channel="cli", settings=None)  # type: ignore[arg-type]
    for use_case in (list_post_summaries_direct, count_posts_direct):
        with pytest.raises(PermissionDeniedError, match=r"posts\.read"):
            use_case(ctx)


def test_posts_list_loads_no_sqlalchemy_on_sqlite(filled: Hub) -> None:
    probe = ("import sys\n"
             "from socialhub.cli.entry import main\n"
             "try:\n"
             "    main(['posts', 'list', '--json', '--all'])\n"
             "except SystemExit:\n"
             "    pass\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] == "
             "'sqlalchemy' or m == 'socialhub.db.models')))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.count('"name":"post-') == 3
    assert (done.stderr == "[]") == is_sqlite(filled), done.stderr
