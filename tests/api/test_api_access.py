"""Who may call the API, and how every refusal looks: one Problem+JSON shape, never a 500,
never a hint that another organization's record exists, and nothing changed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api, make_token, serve

TARGET = [{"account": "bluesky:@shop.example.com"}]
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def _post_count(api: Api) -> int:
    from socialhub.services.authoring.posts import count_posts

    with api.hub.context("cli") as ctx:
        return int(count_posts(ctx))


def test_every_refusal_has_the_one_problem_shape(api: Api) -> None:
    """The shape a client may rely on: RFC 9457 fields plus our ``code``."""
    with api.client() as c:
        r = c.get("/api/v1/posts")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert PROBLEM_KEYS <= set(body) <= PROBLEM_KEYS | {"hint", "errors"}
    assert body == {"type": "urn:socialhub:problem:unauthenticated", "title": "Unauthorized",
                    "status": 401, "code": "unauthenticated", "detail": body["detail"],
                    "hint": body["hint"]}
    with api.client(api.token("posts:write")) as c:
        invalid = c.post("/api/v1/posts", json={"body": 5, "targets": []})
        unknown = c.get("/api/v1/nowhere")
    for resp, status in ((invalid, 422), (unknown, 404)):
        assert resp.status_code == status
        assert resp.headers["content-type"] == "application/problem+json"
        assert set(resp.json()) >= PROBLEM_KEYS
    assert invalid.json()["errors"]


def test_no_unknown_revoked_or_expired_token_gets_in(api: Api) -> None:
    from socialhub.services.access.tokens import revoke_token

    good = api.token("posts:write", name="soon-revoked")
    expired = api.token("posts:write", name="short", expires="1h")
    with api.hub.transaction() as session:
        from sqlalchemy import text

        session.execute(text("UPDATE api_tokens SET expires_at = created_at WHERE name = 'short'"))
    with api.hub.context("cli") as ctx:
        revoke_token(ctx, "soon-revoked")
    for token in (None, "shp_" + "x" * 43, "not-a-token", good, expired, "shp_" + "y" * 5000):
        with api.client(token) as c:
            r = c.post("/api/v1/posts", json={"body": "x", "targets": TARGET})
        assert r.status_code in (401, 431) if token and len(token) > 4000 else r.status_code == 401
    assert _post_count(api) == 0


def test_another_organizations_record_is_a_plain_404(api: Api) -> None:
    """Same answer as for a record that does not exist: nothing tells them apart."""
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.orgs import add_organization
    from socialhub.services.teams.acting import acting_login

    with api.hub.transaction() as session:
        add_organization(session, "rival", login=acting_login(session))
    with api.hub.context("cli", organization="rival") as ctx:
        add_account(ctx, platform="bluesky", handle="rival.example.com")
        secret = create_post(ctx, body="rival plans", name="rival-plan",
                             targets=[TargetSpec(account="bluesky:@rival.example.com")])
        secret_id = secret.id
    mine = api.token("posts:write,posts:publish,queue:write,accounts:read")
    with api.client(mine) as c:
        missing = c.get("/api/v1/posts/no-such-post").json()
        for path in (f"/api/v1/posts/{secret_id}", "/api/v1/posts/rival-plan"):
            r = c.get(path)
            assert r.status_code == 404
            assert r.json()["detail"].replace("rival-plan", "X").replace(str(secret_id), "X") \
                == missing["detail"].replace("no-such-post", "X")
            assert c.patch(path, json={"body": "mine now"},
                           headers={"If-Match": "*"}).status_code == 404
            assert c.delete(path).status_code == 404
            assert c.post(path + "/schedule", json={"next_slot": True}).status_code == 404
        assert c.get("/api/v1/accounts/bluesky:@rival.example.com").status_code == 404
        assert all(p["name"] != "rival-plan" for p in c.get("/api/v1/posts").json()["items"])
    rival = make_token(api.hub, "posts:read", organization="rival")
    with api.client(rival) as c:
        assert c.get("/api/v1/posts/rival-plan").json()["body"] == "rival plans"


def test_an_oversized_body_is_a_413_and_creates_nothing(api: Api) -> None:
    with api.client(api.token("posts:write")) as c:
        r = c.post("/api/v1/posts", json={"body": "x" * 100_000, "targets": TARGET})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 413
    assert _post_count(api) == 0


def test_a_flood_is_rate_limited_per_token_with_retry_after(hub: Any) -> None:
    for url in serve(hub, rate_limit=5):
        token, other = make_token(hub, "posts:read"), make_token(hub, "posts:read")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
            answers = [c.get("/api/v1/posts") for _ in range(8)]
        codes = [a.status_code for a in answers]
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
        assert answers[0].headers["ratelimit-limit"] == "5"
        assert answers[4].headers["ratelimit-remaining"] == "0"
        limited = answers[-1]
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["code"] == "rate_limited"
        # Each token has its own budget.
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {other}"}) as c:
            assert c.get("/api/v1/posts").status_code == 200


def test_calls_are_audited_with_the_api_channel_and_the_tokens_member(api: Api) -> None:
    from sqlalchemy import text

    with api.client(api.token("posts:write")) as c:
        assert c.post("/api/v1/posts", json={"body": "audited", "targets": TARGET,
                                             "name": "audited"}).status_code == 201
    with api.hub.transaction() as session:
        rows = session.execute(text("SELECT channel, actor, action FROM audit_events "
                                    "WHERE record_name = 'audited'")).all()
    assert [(r[0], r[2]) for r in rows] == [("api", "create")]
    with api.hub.context("cli") as ctx:
        assert rows[0][1] == ctx.actor.name


def test_the_openapi_document_is_served_and_is_the_checked_in_one(api: Api) -> None:
    import json
    from pathlib import Path

    with api.client() as c:
        served = c.get("/openapi.json").json()
    checked_in = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                             "openapi.json").read_text())
    assert served["openapi"].startswith("3.1")
    assert served == checked_in
