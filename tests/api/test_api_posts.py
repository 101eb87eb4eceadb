"""Posts over HTTP with a scoped token: what `socialhub posts` does, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

ALL = "posts:write,posts:publish,posts:approve,accounts:read,queue:write"
TARGET = [{"account": "bluesky:@shop.example.com"}]


def _create(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    with api.client(token) as c:
        r = c.post("/api/v1/posts", json={"body": "We ship Monday", "targets": TARGET,
                                          **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_script_creates_reads_edits_schedules_and_deletes_a_post(api: Api) -> None:
    token = api.token(ALL)
    post = _create(api, token, name="launch")
    assert post["status"] == "draft" and post["targets"][0]["account"].startswith("bluesky")
    with api.client(token) as c:
        got = c.get("/api/v1/posts/launch")
        assert got.status_code == 200 and got.json()["name"] == "launch"
        etag = got.headers["etag"]
        edited = c.patch("/api/v1/posts/launch", json={"body": "We ship Tuesday"},
                         headers={"If-Match": etag})
        assert edited.status_code == 200, edited.text
        assert edited.json()["body"] == "We ship Tuesday"
        assert edited.headers["etag"] != etag
        scheduled = c.post("/api/v1/posts/launch/schedule",
                           json={"at": "2099-01-05T09:00:00+00:00"})
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["status"] == "scheduled"
        queue = c.get("/api/v1/queue").json()
        assert [d["post"] for d in queue["items"]] == ["launch"]
        one = c.get(f"/api/v1/queue/{queue['items'][0]['id']}")
        assert one.status_code == 200 and one.json()["post"] == "launch"
        assert c.get("/api/v1/campaigns/none-such").status_code == 403  # no campaigns scope
    with api.client(api.token("posts:read")) as c:
        cal = c.get("/api/v1/calendar", params={"from": "2099-01-05", "view": "week",
                                                "zone": "UTC"})
        assert cal.status_code == 200, cal.text
        assert any(e.get("post") == "launch" for e in cal.json()["entries"])
    with api.client(token) as c:
        assert c.post("/api/v1/posts/launch/unschedule").json()["status"] == "draft"
        assert c.delete("/api/v1/posts/launch").json()["removed"] is True
        assert c.get("/api/v1/posts/launch").status_code == 404


def test_a_stale_etag_is_refused_and_changes_nothing(api: Api) -> None:
    token = api.token(ALL)
    _create(api, token, name="shared")
    with api.client(token) as c:
        etag = c.get("/api/v1/posts/shared").headers["etag"]
        first = c.patch("/api/v1/posts/shared", json={"body": "editor one"},
                        headers={"If-Match": etag})
        assert first.status_code == 200
        second = c.patch("/api/v1/posts/shared", json={"body": "editor two"},
                         headers={"If-Match": etag})
        assert second.status_code == 412
        assert second.json()["code"] == "precondition_failed"
        assert c.patch("/api/v1/posts/shared", json={"body": "x"}).status_code == 428
        assert c.get("/api/v1/posts/shared").json()["body"] == "editor one"


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(api: Api
                                                                              ) -> None:
    token = api.token(ALL)
    body = {"body": "once", "targets": TARGET}
    with api.client(token, **{"Idempotency-Key": "k-1"}) as c:
        first = c.post("/api/v1/posts", json=body)
        again = c.post("/api/v1/posts", json=body)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers.get("idempotent-replayed") == "true"
        other = c.post("/api/v1/posts", json={**body, "body": "twice"})
        assert other.status_code == 422, other.text
        assert other.headers["content-type"] == "application/problem+json"
    with api.client(token) as c:
        names = [p["name"] for p in c.get("/api/v1/posts").json()["items"]]
    assert names == [first.json()["name"]]


def test_scopes_narrow_the_role(api: Api) -> None:
    reader = api.token("posts:read")
    with api.client(reader) as c:
        assert c.get("/api/v1/posts").status_code == 200
        refused = c.post("/api/v1/posts", json={"body": "no", "targets": TARGET})
        assert refused.status_code == 403
        assert "posts.write" in refused.json()["detail"]
        assert c.get("/api/v1/accounts").status_code == 403
        assert c.get("/api/v1/posts").json()["items"] == []


def test_the_workflow_steps_run_the_review_use_cases(api: Api) -> None:
    token = api.token(ALL)
    _create(api, token, name="review-me")
    with api.client(token) as c:
        submitted = c.post("/api/v1/posts/review-me/submit", json={"comment": "please"})
        assert submitted.status_code == 200, submitted.text
        assert c.get("/api/v1/posts/review-me").json()["status"] == "pending_approval"
        # Nobody approves their own post: the token acts as its member, the author.
        own = c.post("/api/v1/posts/review-me/approve", json={})
        assert own.status_code == 403
        now = c.post("/api/v1/posts/review-me/publish-now", json={})
        assert now.status_code in (200, 409), now.text


def test_pages_follow_the_cursor_without_overlap(api: Api) -> None:
    token = api.token(ALL)
    for i in range(5):
        _create(api, token, name=f"p{i}")
    seen: list[str] = []
    cursor = None
    with api.client(token) as c:
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = c.get("/api/v1/posts", params=params).json()
            seen += [p["name"] for p in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert c.get("/api/v1/posts", params={"cursor": "!!"}).status_code == 422
    assert sorted(seen) == [f"p{i}" for i in range(5)]


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00"])
def test_path_tricks_in_a_record_name_are_a_clean_refusal(api: Api, name: str) -> None:
    with api.client(api.token(ALL)) as c:
        r = c.get(f"/api/v1/posts/{name}")
    assert r.status_code in (404, 422), r.text
    if r.request.url.path.startswith("/api/v1/"):  # the client may fold "../" away first
        assert r.headers["content-type"] == "application/problem+json"
