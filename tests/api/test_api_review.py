"""A post's review thread and the approvals queue through real HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.api.conftest import Api

TARGET = [{"account": "bluesky:@shop.example.com"}]


def test_comments_and_the_approvals_queue(api: Api) -> None:
    with api.client(api.token("posts:write")) as c:
        assert c.post("/api/v1/posts", json={"body": "x", "targets": TARGET,
                                             "name": "launch"}).status_code == 201
        assert c.post("/api/v1/posts/launch/submit", json={}).status_code == 200
        added = c.post("/api/v1/posts/launch/comments", json={"text": "move it to 10:00?"})
        assert added.status_code == 201, added.text
        thread = c.get("/api/v1/posts/launch/comments").json()
        assert thread == added.json()
        assert [(e["kind"], e["body"]) for e in thread["comments"]][-1] == (
            "comment", "move it to 10:00?")
        waiting = c.get("/api/v1/approvals").json()["items"]
        assert [p["name"] for p in waiting] == ["launch"]
        assert c.post("/api/v1/posts/nope/comments", json={"text": "x"}).status_code == 404


def test_commenting_needs_a_scope_that_comments(api: Api) -> None:
    with api.client(api.token("posts:write")) as c:
        c.post("/api/v1/posts", json={"body": "x", "targets": TARGET, "name": "launch"})
    with api.client(api.token("posts:read")) as c:
        refused = c.post("/api/v1/posts/launch/comments", json={"text": "hi"})
        assert refused.status_code == 403
        assert c.get("/api/v1/posts/launch/comments").json()["comments"] == []
