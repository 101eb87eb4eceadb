"""The evergreen queue, short links and experiments through real HTTP (SQLite and
PostgreSQL), as ``socialhub evergreen``, ``links`` and ``experiments`` do."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, add_rival

TARGET = "bluesky:@shop.example.com"

EXPERIMENT = """\
apiVersion: socialhub/v1
kind: Experiment
metadata: {name: hook}
spec:
  metric: ctr
  min_sample: 500
  split: slots
  arms:
    - name: question
      account: bluesky:@shop.example.com
      text: "Ready for spring? https://shop.example.com/spring"
      at: 2030-03-02T09:00:00 Europe/Berlin
    - name: statement
      account: bluesky:@shop.example.com
      text: "Spring is here. https://shop.example.com/spring"
      at: 2030-03-09T09:00:00 Europe/Berlin
"""


def _evergreen_posts(api: Api) -> list[str]:
    from sqlalchemy import select

    from socialhub.db.models import Post, Recurrence

    with api.hub.transaction() as session:
        return list(session.scalars(select(Post.name).join(Recurrence,
                                                           Recurrence.post_id == Post.id)))


def _post(api: Api, name: str, organization: str | None = None,
          target: str = TARGET) -> None:
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.slots import add_slot

    with api.hub.context("cli", organization=organization) as ctx:
        add_slot(ctx, target, weekday="mon", time="09:00", zone="UTC")
        create_post(ctx, name=name, body="Questions? Read the FAQ.",
                    targets=[TargetSpec(account=target)])


def test_a_script_fills_runs_and_empties_the_evergreen_queue(api: Api) -> None:
    _post(api, "faq")
    token = api.token("evergreen:write")
    body: dict[str, Any] = {"post": "faq", "cooldown": 14, "times": 3, "until": "2031-06-30"}
    with api.client(token, **{"Idempotency-Key": "ev-1"}) as c:
        added = c.post("/api/v1/evergreen", json=body)
        assert added.status_code == 200, added.text
        entry = added.json()
        assert entry["post"] == "faq" and entry["cooldown_days"] == 14
        assert entry["max_occurrences"] == 3
        assert entry["ends_at"].startswith("2031-07-01")  # through the end of that day
        assert c.post("/api/v1/evergreen", json=body).headers["Idempotent-Replayed"] == "true"
    with api.client(token) as c:
        listed = c.get("/api/v1/evergreen").json()["items"]
        assert [r["post"] for r in listed] == ["faq"]
        ran = c.post("/api/v1/evergreen/run")
        assert ran.status_code == 200, ran.text
        assert [(r["post"], r["outcome"]) for r in ran.json()["items"]] == [("faq", "queued")]
        assert c.post("/api/v1/evergreen", json={"post": "faq", "until": "not a day"}
                      ).status_code == 422
        assert c.post("/api/v1/evergreen", json={"post": "nope"}).status_code == 404
        assert c.delete("/api/v1/evergreen/faq").json() == {"post": "faq", "removed": True}
        assert c.get("/api/v1/evergreen").json()["items"] == []
    assert _evergreen_posts(api) == []
    with api.client(api.token("posts:write")) as c:
        assert c.post("/api/v1/evergreen", json={"post": "faq"}).status_code == 403
        assert c.post("/api/v1/evergreen/run").status_code == 403
    assert _evergreen_posts(api) == []


def test_another_organizations_post_is_a_404_for_the_evergreen_queue(api: Api) -> None:
    add_rival(api.hub)
    _post(api, "rival-faq", organization="rival", target="bluesky:@rival.example.com")
    with api.client(api.token("evergreen:write")) as c:
        assert c.post("/api/v1/evergreen", json={"post": "rival-faq"}).status_code == 404
        assert c.delete("/api/v1/evergreen/rival-faq").status_code == 404
        assert c.get("/api/v1/evergreen").json()["items"] == []
    assert _evergreen_posts(api) == []


def test_short_links_page_and_show_only_the_tokens_organization(api: Api) -> None:
    from socialhub.db.models import ShortLink

    add_rival(api.hub)
    with api.hub.context("cli") as ctx:
        mine = ctx.org_id
    with api.hub.context("cli", organization="rival") as ctx:
        rival = ctx.org_id
    with api.hub.transaction() as session:
        for i in range(3):
            session.add(ShortLink(org_id=mine, code=f"mine{i}", url=f"https://a.example/{i}",
                                  url_hash=f"{i:064d}", target=f"https://a.example/{i}",
                                  platform="bluesky"))
        session.add(ShortLink(org_id=rival, code="theirs", url="https://b.example/",
                              url_hash="f" * 64, target="https://b.example/",
                              platform="bluesky"))
    with api.client(api.token("analytics:read")) as c:
        first = c.get("/api/v1/links", params={"limit": 2}).json()
        assert [r["code"] for r in first["items"]] == ["mine2", "mine1"]
        rest = c.get("/api/v1/links", params={"cursor": first["next_cursor"]}).json()
        assert [r["code"] for r in rest["items"]] == ["mine0"] and rest["next_cursor"] is None
        shown = c.get("/api/v1/links/mine1")
        assert shown.status_code == 200 and shown.json()["clicks"] == 0
        assert c.get("/api/v1/links/theirs").status_code == 404
        assert c.get("/api/v1/links/nope").status_code == 404
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/links").status_code == 403


def test_experiments_are_listed_judged_and_promoted_only_with_a_winner(api: Api) -> None:
    with api.client(api.token("manifests:write")) as c:
        applied = c.post("/api/v1/manifests/apply", json={"documents": EXPERIMENT})
        assert applied.status_code == 200, applied.text
    with api.client(api.token("experiments:read")) as c:
        listed = c.get("/api/v1/experiments").json()["items"]
        assert [(e["name"], e["metric"]) for e in listed] == [("hook", "ctr")]
        judged = c.get("/api/v1/experiments/hook")
        assert judged.status_code == 200, judged.text
        assert [a["name"] for a in judged.json()["arms"]] == ["question", "statement"]
        assert judged.json()["verdict"].startswith("no winner yet")
        assert c.get("/api/v1/experiments/nope").status_code == 404
        assert c.post("/api/v1/experiments/hook/promote", json={}).status_code == 403
    with api.client(api.token("experiments:write,evergreen:write")) as c:
        refused = c.post("/api/v1/experiments/hook/promote", json={"cooldown": 14})
        assert refused.status_code == 409, refused.text
        assert "no winner" in refused.json()["detail"]
        assert c.post("/api/v1/experiments/nope/promote", json={}).status_code == 404
    assert _evergreen_posts(api) == []
    add_rival(api.hub)
    with api.client(api.token("experiments:read", organization="rival")) as c:
        assert c.get("/api/v1/experiments").json()["items"] == []
        assert c.get("/api/v1/experiments/hook").status_code == 404
