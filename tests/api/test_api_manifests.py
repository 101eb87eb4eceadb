"""Manifests and CSV imports through real HTTP (SQLite and PostgreSQL): lint, diff,
preview, apply and export as ``socialhub lint/diff/preview/apply/export`` do, with the
YAML in the body and never a path on the server."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, add_rival

TARGET = "bluesky:@shop.example.com"

CAMPAIGN = """\
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec: {description: Spring launch}
"""

POST = """\
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch, campaign: spring}
spec:
  body: "We ship on Monday."
  targets:
    - account: bluesky:@shop.example.com
      at: 2030-03-02T09:00:00 Europe/Berlin
"""


def _names(api: Api) -> tuple[list[str], list[str]]:
    from sqlalchemy import select

    from socialhub.db.models import Campaign, Post

    with api.hub.transaction() as session:
        return (list(session.scalars(select(Campaign.name).order_by(Campaign.id))),
                list(session.scalars(select(Post.name).order_by(Post.id))))


def _files(**texts: str) -> dict[str, Any]:
    return {"files": [{"name": n.replace("_", "/") + ".yaml", "text": t}
                      for n, t in texts.items()]}


def test_a_script_lints_diffs_previews_applies_and_exports(api: Api) -> None:
    body = _files(calendar_campaigns=CAMPAIGN, calendar_posts=POST)
    with api.client(api.token("manifests:write"), **{"Idempotency-Key": "apply-1"}) as c:
        linted = c.post("/api/v1/manifests/lint", json=body)
        assert linted.status_code == 200, linted.text
        assert linted.json() == {"ok": True, "documents": 2, "issues": []}
        planned = c.post("/api/v1/manifests/diff", json=body)
        assert planned.status_code == 200, planned.text
        assert planned.json()["changes_pending"] is True
        assert {(ch["kind"], ch["action"]) for ch in planned.json()["changes"]} == {
            ("Campaign", "created"), ("Post", "created")}
        shown = c.post("/api/v1/manifests/preview", json={**body, "format": "markdown"})
        assert shown.status_code == 200, shown.text
        assert shown.headers["content-type"].startswith("text/markdown")
        assert "We ship on Monday." in shown.text
        data = c.post("/api/v1/manifests/preview", json=body).json()
        assert [p["name"] for p in data["posts"]] == ["launch"]
        assert data["posts"][0]["file"] == "calendar/posts.yaml"
        assert _names(api) == ([], [])  # diff and preview write nothing
        dry = c.post("/api/v1/manifests/apply", json={**body, "dry_run": True},
                     headers={"Idempotency-Key": "dry-1"})
        assert dry.status_code == 200 and dry.json()["dry_run"] is True, dry.text
        assert _names(api) == ([], [])
        applied = c.post("/api/v1/manifests/apply", json=body)
        assert applied.status_code == 200, applied.text
        assert applied.json()["summary"]["created"] == 2
        replay = c.post("/api/v1/manifests/apply", json=body)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == applied.json()
    assert _names(api) == (["spring"], ["launch"])
    with api.client(api.token("manifests:write")) as c:
        again = c.post("/api/v1/manifests/apply", json=body).json()
        assert again["summary"]["unchanged"] == 2 and again["summary"]["created"] == 0
        exported = c.get("/api/v1/manifests", params={"kind": ["campaign", "posts"]})
        assert exported.status_code == 200, exported.text
        out = exported.json()
        assert [d["kind"] for d in out["documents"]] == ["Campaign", "Post"]
        assert out["published"] is None
        # What export gives applies back to the same state.
        back = c.post("/api/v1/manifests/apply",
                      json={"documents": out["yaml"]}).json()["summary"]
        assert back["unchanged"] == 2 and back["created"] == back["changed"] == 0


def test_bad_yaml_is_a_422_naming_file_and_line_and_nothing_is_applied(api: Api) -> None:
    broken = POST.replace("  body:", "  body: [unclosed\n  oops:")
    body = _files(campaigns=CAMPAIGN, posts=broken)
    with api.client(api.token("manifests:write")) as c:
        r = c.post("/api/v1/manifests/apply", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert "nothing was written" in problem["detail"]
        assert "posts.yaml:" in problem["detail"]
        assert problem["issues"][0]["file"] == "posts.yaml"
        assert problem["issues"][0]["line"] >= 1
        linted = c.post("/api/v1/manifests/lint", json=body).json()
        assert linted["ok"] is False and linted["issues"][0]["file"] == "posts.yaml"
        unknown = c.post("/api/v1/manifests/diff", json={
            "documents": POST.replace("campaign: spring", "campaign: nope")})
        assert unknown.status_code == 422
        assert "<body>:3:" in unknown.json()["detail"]
        both = c.post("/api/v1/manifests/lint", json={"documents": POST, **_files(a=POST)})
        assert both.status_code == 422
    assert _names(api) == ([], [])


def test_media_named_by_a_path_never_reads_the_servers_files(api: Api) -> None:
    with_media = POST.replace("      at:", "      media: [{path: /etc/hostname}]\n      at:")
    relative = POST.replace("      at:", "      media: [{path: secret.png}]\n      at:")
    with api.client(api.token("manifests:write")) as c:
        for text in (with_media, relative):
            r = c.post("/api/v1/manifests/apply",
                       json=_files(campaigns=CAMPAIGN, posts=text))
            assert r.status_code == 422, r.text
            assert "media" in r.json()["detail"]
    assert _names(api) == ([], [])


def test_scopes_and_roles_limit_what_manifests_reach(api: Api) -> None:
    body = _files(campaigns=CAMPAIGN)
    account = ("apiVersion: socialhub/v1\nkind: Account\n"
               "metadata: {name: \"mastodon:@shop\"}\nspec: {base_url: https://evil.example}\n")
    with api.client(api.token("manifests:read")) as c:
        assert c.post("/api/v1/manifests/apply", json=body).status_code == 403
        assert c.post("/api/v1/manifests/diff", json=body).status_code == 200
        assert c.get("/api/v1/manifests").status_code == 200
        # The organization's members and settings are not manifests' to give away.
        assert c.get("/api/v1/manifests", params={"kind": "member"}).status_code == 403
        assert c.get("/api/v1/manifests", params={"kind": "nope"}).status_code == 422
    with api.client(api.token("posts:read")) as c:
        assert c.post("/api/v1/manifests/diff", json=body).status_code == 403
        assert c.get("/api/v1/manifests").status_code == 403
        # lint reads no record: any valid token.
        assert c.post("/api/v1/manifests/lint", json=body).status_code == 200
    with api.client() as c:
        assert c.post("/api/v1/manifests/lint", json=body).status_code == 401
    with api.client(api.token("manifests:write")) as c:
        # Adding an account (where it connects, with which secrets) is accounts.manage.
        r = c.post("/api/v1/manifests/apply", json={"documents": account})
        assert r.status_code == 403, r.text
        assert c.post("/api/v1/manifests/apply",
                      json={"documents": account, "dry_run": True}).status_code == 200
    assert _names(api) == ([], [])


def test_another_organizations_records_are_neither_exported_nor_touched(api: Api) -> None:
    from socialhub.services.authoring.campaigns import add_campaign

    add_rival(api.hub)
    with api.hub.context("cli", organization="rival") as ctx:
        add_campaign(ctx, "rival-plan")
    with api.client(api.token("manifests:write")) as c:
        names = [d["metadata"]["name"] for d in c.get("/api/v1/manifests").json()["documents"]]
        assert "rival-plan" not in names
        made = c.post("/api/v1/manifests/apply", json={"documents": CAMPAIGN.replace(
            "spring", "rival-plan")}).json()
        assert made["summary"]["created"] == 1  # its own, not the rival's
    assert _names(api)[0] == ["rival-plan", "rival-plan"]


def test_a_csv_import_creates_every_row_or_none(api: Api) -> None:
    good = f"body,accounts,at,name\nHello,{TARGET},2030-01-07 09:00,hello\n" \
           f"Again,{TARGET},2030-01-08 09:00,again\n"
    bad = good + f"Late,{TARGET},yesterday noon-ish,late\n"
    with api.client(api.token("posts:write")) as c:
        assert c.post("/api/v1/imports/csv", json={"csv": good}).status_code == 403
    token = api.token("posts:write,posts:publish")
    with api.client(token, **{"Idempotency-Key": "csv-1"}) as c:
        r = c.post("/api/v1/imports/csv", json={"csv": bad, "name": "week.csv"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("week.csv:4:")
        assert _names(api) == ([], [])
        made = c.post("/api/v1/imports/csv", json={"csv": "\ufeff" + good},
                      headers={"Idempotency-Key": "csv-2"})
        assert made.status_code == 201, made.text
        assert made.json() == {"created": 2, "at_time": 2, "in_slots": 0,
                               "posts": ["hello", "again"]}
        again = c.post("/api/v1/imports/csv", json={"csv": "\ufeff" + good},
                       headers={"Idempotency-Key": "csv-2"})
        assert again.headers["Idempotent-Replayed"] == "true"
    assert _names(api) == ([], ["hello", "again"])


def test_applying_the_same_files_again_skips_the_unchanged_post_files(
        api: Api, parsed: list[str]) -> None:
    body = _files(calendar_campaigns=CAMPAIGN, calendar_posts=POST)
    token = api.token("manifests:write")
    with api.client(token, **{"Idempotency-Key": "first"}) as c:
        first = c.post("/api/v1/manifests/apply", json=body)
        assert first.status_code == 200, first.text
        assert first.json()["summary"]["created"] == 2
    parsed.clear()
    with api.client(token, **{"Idempotency-Key": "second"}) as c:
        again = c.post("/api/v1/manifests/apply", json=body)
    assert again.status_code == 200, again.text
    assert {(ch["kind"], ch["name"], ch["action"]) for ch in again.json()["changes"]} == {
        ("Campaign", "spring", "unchanged"), ("Post", "launch", "unchanged")}
    assert parsed == ["campaigns.yaml"]  # the file of posts was neither parsed nor planned
    edited = _files(calendar_campaigns=CAMPAIGN,
                    calendar_posts=POST.replace("Monday", "Tuesday"))
    with api.client(token, **{"Idempotency-Key": "third"}) as c:
        changed = c.post("/api/v1/manifests/apply", json=edited)
    assert {(ch["name"], ch["action"]) for ch in changed.json()["changes"]} == {
        ("spring", "unchanged"), ("launch", "changed")}
