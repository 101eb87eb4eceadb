"""``audit list`` on real SQLite and PostgreSQL: filters by time, actor, record and
channel, newest first, paged; secrets never reach an audit row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from socialhub.core.when_past import parse_past
from socialhub.errors import PermissionDeniedError, ValidationError
from socialhub.services.audit import record_event
from socialhub.services.audit_trail.trail import AuditFilter, audit_filter, list_audit
from socialhub.services.authoring.campaigns import add_campaign
from tests.conftest import ctx_as

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _list(hub: Any, **filters: Any) -> list[dict[str, Any]]:
    with hub.context("cli") as ctx:
        return list_audit(ctx, audit_filter(ctx, **filters), limit=None).items


def test_rows_name_actor_channel_and_record_newest_first(hub: Any) -> None:
    with hub.context("cli") as ctx:
        add_campaign(ctx, "spring")
    with hub.context("tui") as ctx:
        add_campaign(ctx, "summer")
    rows = _list(hub)
    assert [(r["record_name"], r["channel"], r["action"]) for r in rows] == [
        ("summer", "tui", "create"), ("spring", "cli", "create")]
    assert _list(hub, channel="tui")[0]["record_name"] == "summer"
    assert [r["record_name"] for r in _list(hub, record="campaign:spring")] == ["spring"]
    assert len(_list(hub, record="CAMPAIGN")) == 2
    assert _list(hub, record="post") == []
    assert _list(hub, actor="nobody-else") == []


def test_time_range_and_paging(hub: Any) -> None:
    for name in ("a", "b", "c"):
        with hub.context("cli") as ctx:
            add_campaign(ctx, name)
    rows = _list(hub)
    assert [r["id"] for r in _list(hub, since=rows[1]["at"])] == [r["id"] for r in rows[:2]]
    assert [r["id"] for r in _list(hub, until=rows[1]["at"])] == [rows[2]["id"]]
    assert _list(hub, until="2000-01-01") == []
    assert len(_list(hub, since="-1h")) == 3
    with hub.context("cli") as ctx:
        page = list_audit(ctx, AuditFilter(), limit=2, offset=0)
    assert (len(page.items), page.total, page.more) == (2, 3, True)


def test_a_viewer_may_not_read_the_trail_and_bad_filters_are_refused(hub: Any) -> None:
    with hub.context("cli") as ctx:
        with pytest.raises(PermissionDeniedError, match=r"audit\.read"):
            list_audit(ctx_as(ctx, "viewer"), AuditFilter(), limit=5)
        for bad in ({"channel": "fax"}, {"record": ":x"}, {"since": "soonish"},
                    {"since": "2026-12-06", "until": "2026-12-01"}):
            with pytest.raises(ValidationError):
                audit_filter(ctx, **bad)


def test_past_times_count_back_from_now() -> None:
    assert parse_past("-2h", "UTC", now=NOW) == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert parse_past("3 days ago", "UTC", now=NOW) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_past("yesterday", "Europe/Berlin", now=NOW) == datetime(
        2026, 12, 4, 23, 0, tzinfo=UTC)
    assert parse_past("2026-12-01", "UTC", now=NOW) == datetime(2026, 12, 1, tzinfo=UTC)


def test_secrets_never_reach_an_audit_row(hub: Any) -> None:
    from socialhub.security.redact import register_secret

    register_secret("known-token-abcdefghijklmnop")  # as the credentials service does
    with hub.context("cli") as ctx:
        record_event(ctx.session, ctx.org_id, "update", "Account", name="bluesky:@me", change={
            "access_token": {"before": "old-token-123456", "after": "new-token-654321"},
            "options": {"before": None, "after": {"app_password": "hunter2hunter2",
                                                  "note": "see known-token-abcdefghijklmnop"}},
            "display_name": {"before": "Me", "after": "Me!"}})
    change = _list(hub)[0]["change"]
    text = repr(change)
    for secret in ("old-token", "new-token", "hunter2", "known-token"):
        assert secret not in text
    assert change["access_token"] == "[REDACTED]"
    assert change["display_name"] == {"before": "Me", "after": "Me!"}
