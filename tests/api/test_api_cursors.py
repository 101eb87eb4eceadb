"""The REST API's lists page by keyset cursors: ``next_cursor`` passed back as
``cursor`` gives every row once, a row added before the position between two
requests does not shift the pages, and a cursor the API did not give out for this
list (malformed, changed, another list's, an offset cursor of before) is a 422."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api

TARGET = [{"account": "bluesky:@shop.example.com"}]
SCOPES = "posts:write,posts:publish,campaigns:write,audit:read,queue:read"


def pages(c: httpx.Client, path: str, limit: int, between: Any = None,
          **params: Any) -> list[dict[str, Any]]:
    """Every item of ``path``, following ``next_cursor``; ``between(n)`` after page n."""
    items: list[dict[str, Any]] = []
    cursor = None
    for n in range(1, 100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = c.get(path, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        if between is not None:
            between(n)
    raise AssertionError("the cursors never ended")


def _at(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M") + " UTC"


def test_posts_follow_the_cursor_with_a_post_added_meanwhile(api: Api) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    with api.client(api.token(SCOPES)) as c:
        for i in range(7):
            r = c.post("/api/v1/posts", json={
                "body": f"p{i}", "name": f"p{i}", "targets": TARGET,
                **({"at": _at(soon + timedelta(hours=i % 3))} if i % 2 else {})})
            assert r.status_code == 201, r.text
        every = [p["name"] for p in c.get("/api/v1/posts", params={"limit": 100}).json()["items"]]
        assert [p["name"] for p in pages(c, "/api/v1/posts", 2)] == every

        def add(n: int) -> None:
            if n == 1:  # sooner than every post: before the position
                assert c.post("/api/v1/posts", json={
                    "body": "x", "name": "sooner", "targets": TARGET,
                    "at": _at(soon - timedelta(hours=5))}).status_code == 201

        assert [p["name"] for p in pages(c, "/api/v1/posts", 2, between=add)] == every


def test_the_audit_trail_pages_while_changes_are_written(api: Api) -> None:
    with api.client(api.token(SCOPES)) as c:
        for i in range(5):
            assert c.post("/api/v1/campaigns", json={"name": f"c{i}"}).status_code == 201
        every = [r["id"] for r in c.get("/api/v1/audit", params={"limit": 1000}).json()["items"]]

        def write(n: int) -> None:
            assert c.post("/api/v1/campaigns", json={"name": f"more{n}"}).status_code == 201

        assert [r["id"] for r in pages(c, "/api/v1/audit", 2, between=write)] == every
        assert [r["name"] for r in pages(c, "/api/v1/campaigns", 2)] == \
            [f"c{i}" for i in range(5)] + [f"more{n}" for n in range(1, 4)]


def _b64(doc: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/posts", "/api/v1/audit", "/api/v1/campaigns",
                                  "/api/v1/queue"])
def test_a_cursor_this_api_did_not_give_out_is_a_422(api: Api, path: str) -> None:
    from socialhub.services.paging import INBOX, POSTS

    with api.client(api.token(SCOPES)) as c:
        other = INBOX if path == "/api/v1/posts" else POSTS
        for cursor in ("!!", _b64({"o": 2}), other.encode(
                (datetime.now(UTC), 1) if other is INBOX else (None, 1)), "A" * 1999):
            r = c.get(path, params={"cursor": cursor})
            assert r.status_code == 422, (cursor, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["detail"] == "cursor: not a cursor this API gave out"
        assert c.get(path, params={"cursor": "A" * 2001}).status_code == 422
