"""The sandbox's simulated people: the same seed writes the same inbox (a mix of kinds,
moods and languages), ``GET /api/inbox`` pages forward from ``since_id``, comments answer
the account's own posts, and ``/_sandbox/posts`` lists only what clients sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from socialhub.sandbox_network.people import message
from socialhub.sandbox_network.server import SandboxServer


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = SandboxServer().start()
    yield sandbox
    sandbox.stop()


def _client(server: SandboxServer, handle: str) -> httpx.Client:
    grant = httpx.post(f"{server.url}/oauth/token", data={"handle": handle}).json()
    return httpx.Client(base_url=server.url,
                        headers={"Authorization": f"Bearer {grant['access_token']}"})


def test_the_same_seed_writes_the_same_mixed_inbox() -> None:
    first = [message(5, n) for n in range(200)]
    assert first == [message(5, n) for n in range(200)]
    assert first != [message(6, n) for n in range(200)]
    assert {m.language for m in first} == {"en", "fr", "de", "es"}
    assert {m.kind for m in first} == {"comment", "mention", "reply", "message"}
    assert any("followers" in m.text for m in first)  # a little spam


def test_the_inbox_pages_forward_and_comments_answer_own_posts(server: SandboxServer) -> None:
    with _client(server, "shop") as shop, _client(server, "other") as other:
        own = shop.post("/api/posts", json={"text": "our launch"}).json()["id"]
        sent = httpx.post(f"{server.url}/_sandbox/inbox", json={
            "count": 30, "seed": 2, "accounts": ["shop"]}).json()["sent"]
        assert sent == 30
        items, since = [], 0
        while True:
            page = shop.get("/api/inbox", params={"since_id": since, "limit": 7}).json()
            items += page["items"]
            if not page["items"]:
                break
            since = int(page["items"][-1]["id"])
            if not page["more"]:
                break
        assert len(items) == 30 == len({i["id"] for i in items})
        assert [int(i["id"]) for i in items] == sorted(int(i["id"]) for i in items)
        comments = [i for i in items if i["kind"] == "comment"]
        assert comments and all(i["reply_to"] == own for i in comments)
        assert all(i["text"].startswith("@shop ") for i in items if i["kind"] == "mention")
        assert other.get("/api/inbox").json()["items"] == []  # only the accounts named
        # a reply to a simulated person's post is accepted and threaded
        answer = shop.post("/api/posts", json={"text": "thanks!", "reply_to": items[0]["id"]})
        assert answer.status_code == 201
    dump = httpx.get(f"{server.url}/_sandbox/posts").json()["posts"]
    assert [p["text"] for p in dump] == ["our launch", "thanks!"]
