"""Inbox writes and analytics reads through real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Api


def _item(api: Api) -> int:
    from sqlalchemy import select

    from socialhub.db.models import Account, InboxItem

    with api.hub.transaction() as session:
        account = session.scalars(select(Account)).one()
        item = InboxItem(org_id=account.org_id, account_id=account.id,
                         platform=account.platform, remote_id="at://did:plc:x/post/1",
                         kind="mention", author_handle="fan.bsky.social", text="Love it!",
                         received_at=datetime(2026, 12, 1, 9, tzinfo=UTC), flags=[],
                         context={"uri": "at://did:plc:x/post/1", "cid": "bafy1"},
                         conversation_id="conv-1")
        session.add(item)
        session.flush()
        return int(item.id)


def _show(api: Api, token: str, item_id: int) -> dict[str, Any]:
    with api.client(token) as c:
        r = c.get(f"/api/v1/inbox/{item_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()["item"]
    return found


def test_inbox_archive_assign_mark_and_reply(api: Api) -> None:
    item_id = _item(api)
    token = api.token("inbox:write")
    with api.hub.context("cli") as ctx:
        me = ctx.actor.name
    with api.client(token) as c:
        r = c.post(f"/api/v1/inbox/{item_id}/archive")
        assert r.status_code == 200 and r.json()["archived"] is True, r.text
        assert c.get("/api/v1/inbox").json()["items"] == []
        assert c.post(f"/api/v1/inbox/{item_id}/unarchive").json()["archived"] is False
        assert [i["id"] for i in c.get("/api/v1/inbox").json()["items"]] == [item_id]

        r = c.post(f"/api/v1/inbox/{item_id}/assign", json={"login": me})
        assert r.status_code == 200 and r.json()["assignee"] == me, r.text
        assert c.post(f"/api/v1/inbox/{item_id}/assign",
                      json={"login": "nobody-here"}).status_code in (404, 422)
        assert c.post(f"/api/v1/inbox/{item_id}/assign",
                      json={"login": None}).json()["assignee"] is None

        assert c.post(f"/api/v1/inbox/{item_id}/read").json()["read"] is True
        assert _show(api, token, item_id)["read"] is True
        assert c.post(f"/api/v1/inbox/{item_id}/unread").json()["read"] is False

        key = {"Idempotency-Key": "reply-1"}
        first = c.post(f"/api/v1/inbox/{item_id}/replies", json={"text": "Thank you!"},
                       headers=key)
        assert first.status_code == 202, first.text
        assert first.json()["created"] is True
        again = c.post(f"/api/v1/inbox/{item_id}/replies", json={"text": "Thank you!"},
                       headers=key)
        assert again.status_code == 202
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["delivery_id"] == first.json()["delivery_id"]
        assert c.get("/api/v1/queue").status_code == 403  # inbox:write is not queue:read
        assert c.post("/api/v1/inbox/999999/archive").status_code == 404
        assert c.get("/api/v1/inbox/status").status_code == 200
    with api.client(api.token("queue:read")) as c:
        queue = c.get("/api/v1/queue").json()["items"]
    assert [d["id"] for d in queue] == [first.json()["delivery_id"]]


def test_inbox_writes_need_inbox_write(api: Api) -> None:
    item_id = _item(api)
    token = api.token("inbox:read")
    with api.client(token) as c:
        for path, body in (("archive", None), ("read", None), ("assign", {"login": None}),
                           ("replies", {"text": "hi"})):
            r = c.post(f"/api/v1/inbox/{item_id}/{path}", json=body)
            assert r.status_code == 403, (path, r.text)
            assert r.json()["code"] == "forbidden"
    shown = _show(api, token, item_id)
    assert shown["read"] is False and shown["assignee"] is None
    with api.client(api.token("inbox:read,queue:read")) as c:
        assert c.get("/api/v1/queue").json()["items"] == []


def test_analytics_reports_answer_what_the_cli_answers(api: Api) -> None:
    from socialhub.services.analytics.filters import Filters
    from socialhub.services.analytics.reports import compare

    with api.client(api.token("analytics:read")) as c:
        for path in ("posts", "top", "compare", "accounts", "best-times", "gaps"):
            r = c.get(f"/api/v1/analytics/{path}", params={"since": "30d"}
                      if path != "gaps" else {})
            assert r.status_code == 200, (path, r.text)
            assert "window" in r.json() or "gaps" in r.json(), path
        got = c.get("/api/v1/analytics/compare", params={"by": "account", "since": "30d"})
        assert [row["key"] for row in got.json()["rows"]] == []
        bad = c.get("/api/v1/analytics/compare", params={"by": "mood"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid"
        assert c.get("/api/v1/analytics/top", params={"by": "vibes"}).status_code == 422
        for edge in ({"until": "9999-12-31"}, {"since": "0001-01-01", "zone": "Asia/Tokyo"}):
            r = c.get("/api/v1/analytics/gaps", params=edge)
            assert r.status_code == 422 and "out of range" in r.json()["detail"], r.text
    with api.hub.context("cli") as ctx:
        cli = compare(ctx, Filters(since="30d"), by="account")
    assert cli["rows"] == got.json()["rows"]
    with api.client(api.token("posts:read")) as c:
        refused = c.get("/api/v1/analytics/accounts")
    assert refused.status_code == 403


def test_inbox_list_filters_as_the_cli_does(api: Api) -> None:
    item_id = _item(api)
    with api.client(api.token("inbox:write")) as c:
        def ids(**params: Any) -> list[int]:
            r = c.get("/api/v1/inbox", params=params)
            assert r.status_code == 200, r.text
            return [i["id"] for i in r.json()["items"]]

        assert ids(kind="mention") == [item_id]
        assert ids(kind=["comment", "message"]) == []
        assert ids(assignee="none", since="2026-11-30") == [item_id]
        assert ids(since="2026-12-02") == []
        assert ids(archived=True) == []
        c.post(f"/api/v1/inbox/{item_id}/archive")
        assert ids(archived=True) == [item_id]
        bad = c.get("/api/v1/inbox", params={"kind": "tweet"})
        assert bad.status_code == 422 and "tweet" in bad.json()["detail"]
        assert c.get("/api/v1/inbox", params={"since": "whenever"}).status_code == 422
