"""The organization's administration through real HTTP (SQLite and PostgreSQL): its
settings, members, audit trail and API tokens, each with the scope it needs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.api.conftest import Api, make_token, serve


def _audit(api: Api, kind: str) -> list[tuple[str, str, str | None]]:
    with api.hub.transaction() as session:
        rows = session.execute(text(
            "SELECT channel, action, record_name FROM audit_events WHERE record_kind = :k "
            "ORDER BY id"), {"k": kind}).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _rival(api: Api) -> None:
    from socialhub.services.orgs import add_organization
    from socialhub.services.teams.acting import acting_login

    with api.hub.transaction() as session:
        add_organization(session, "rival", login=acting_login(session))


def test_org_settings_read_and_change_with_their_scopes(api: Api) -> None:
    with api.client(api.token("org:read")) as c:
        got = c.get("/api/v1/org")
        assert got.status_code == 200, got.text
        assert got.json()["settings"]["approvals"] == "off"
        refused = c.patch("/api/v1/org", json={"approvals": "required"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    with api.client(api.token("org:write"), **{"Idempotency-Key": "org-1"}) as c:
        changed = c.patch("/api/v1/org", json={"approvals": "required"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["settings"]["approvals"] == "required"
        again = c.patch("/api/v1/org", json={"approvals": "required"})
        assert again.headers["Idempotent-Replayed"] == "true"
        assert c.patch("/api/v1/org", json={"approvals": "maybe"}).status_code == 422
    assert _audit(api, "Organization")[-1][:2] == ("api", "update")


def _new_login(api: Api) -> str:
    """A login to add: on PostgreSQL a database login, so the cluster's roles are set up
    first and the name is unique (the cluster is shared by the test session)."""
    import secrets

    if api.hub.engine.dialect.name == "postgresql":
        from socialhub.services.teams.database_roles import database_roles

        database_roles(api.hub.config, apply=True)
    return f"alice{secrets.token_hex(4)}"


def test_members_are_added_listed_changed_and_removed_as_the_cli_does(api: Api) -> None:
    alice = _new_login(api)
    body = {"login": alice, "role": "editor", "password": "s3cret-pass-word"}
    with api.client(api.token("members:write"), **{"Idempotency-Key": "add-1"}) as c:
        added = c.post("/api/v1/members", json=body)
        assert added.status_code == 201, added.text
        assert added.json()["login"] == alice and added.json()["role"] == "editor"
        assert "s3cret" not in added.text
        replay = c.post("/api/v1/members", json=body)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    with api.client(api.token("members:write")) as c:
        assert c.post("/api/v1/members",
                      json={"login": alice, "role": "editor"}).status_code == 409
        assert c.post("/api/v1/members",
                      json={"login": "bob", "role": "boss"}).status_code == 422
        listed = c.get("/api/v1/members").json()["items"]
        assert {(m["login"], m["role"]) for m in listed} >= {(alice, "editor")}
        changed = c.patch(f"/api/v1/members/{alice}", json={"role": "reviewer"})
        assert changed.status_code == 200 and changed.json()["role"] == "reviewer"
        roles = c.get("/api/v1/members/roles").json()["items"]
        assert [r["role"] for r in roles] == ["owner", "admin", "editor", "reviewer", "viewer"]
        assert c.delete(f"/api/v1/members/{alice}").status_code == 200
        assert c.delete(f"/api/v1/members/{alice}").status_code == 404
    with api.hub.transaction() as session:
        trail = " ".join(str(r[0]) for r in session.execute(text(
            "SELECT change FROM audit_events")))
    assert "s3cret" not in trail
    assert [a[:2] for a in _audit(api, "Member")] == [
        ("api", "add"), ("api", "change_role"), ("api", "remove")]
    with api.client(api.token("members:read")) as c:
        assert c.get("/api/v1/members").status_code == 200
        assert c.post("/api/v1/members",
                      json={"login": "carol", "role": "viewer"}).status_code == 403
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/members").status_code == 403


def test_the_last_owner_stays_and_another_orgs_member_is_a_404(api: Api) -> None:
    from socialhub.services.teams.members import add_member

    _rival(api)
    rivalry = _new_login(api)
    with api.hub.context("cli", organization="rival") as ctx:
        add_member(ctx, rivalry, "editor")
    with api.client(api.token("members:write")) as c:
        me = c.get("/api/v1/members").json()["items"][0]["login"]
        assert c.patch(f"/api/v1/members/{me}", json={"role": "admin"}).status_code == 409
        assert c.delete(f"/api/v1/members/{me}").status_code == 409
        missing = c.delete("/api/v1/members/nobody-at-all")
        theirs = c.delete(f"/api/v1/members/{rivalry}")
        assert theirs.status_code == missing.status_code == 404
        assert c.patch(f"/api/v1/members/{rivalry}",
                       json={"role": "viewer"}).status_code == 404


def test_the_audit_trail_lists_api_changes_and_verifies(api: Api) -> None:
    with api.client(api.token("campaigns:write")) as c:
        assert c.post("/api/v1/campaigns", json={"name": "spring"}).status_code == 201
    with api.client(api.token("audit:read")) as c:
        rows = c.get("/api/v1/audit", params={"record": "campaign:spring"})
        assert rows.status_code == 200, rows.text
        items = rows.json()["items"]
        assert [(r["channel"], r["action"]) for r in items] == [("api", "create")]
        paged = c.get("/api/v1/audit", params={"limit": 1})
        assert len(paged.json()["items"]) == 1 and paged.json()["next_cursor"]
        rest = c.get("/api/v1/audit", params={"limit": 1,
                                               "cursor": paged.json()["next_cursor"]})
        assert rest.json()["items"][0]["id"] < paged.json()["items"][0]["id"]
        assert c.get("/api/v1/audit", params={"channel": "fax"}).status_code == 422
        verified = c.get("/api/v1/audit/verify")
        assert verified.status_code == 200 and verified.json()["intact"] is True
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/audit").status_code == 403
        assert c.get("/api/v1/audit/verify").status_code == 403


def test_a_token_makes_tokens_with_at_most_its_own_scopes_and_lifetime(api: Api) -> None:
    maker = api.token("tokens:write,posts:read", name="maker", expires="2w")
    with api.client(maker) as c:
        wider = c.post("/api/v1/tokens", json={"name": "wide", "scopes": ["posts:write"]})
        assert wider.status_code == 403 and "posts.write" in wider.json()["detail"]
        assert c.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin:all"]}
                      ).status_code == 422
        made = c.post("/api/v1/tokens", json={"name": "child", "scopes": ["posts:read"],
                                              "expires": "never"},
                      headers={"Idempotency-Key": "child-1"})
        assert made.status_code == 201, made.text
        child = made.json()
        assert child["token"].startswith("shp_") and child["scopes"] == ["posts:read"]
        # It ends no later than the token that made it.
        mine = {t["name"]: t for t in c.get("/api/v1/tokens").json()["items"]}
        assert child["expires_at"] == mine["maker"]["expires_at"]
        assert all("token" not in t for t in mine.values())
        # A replay answers without the secret, which is stored nowhere.
        replay = c.post("/api/v1/tokens", json={"name": "child", "scopes": ["posts:read"],
                                                "expires": "never"},
                        headers={"Idempotency-Key": "child-1"})
        assert replay.status_code == 201 and "token" not in replay.json()
        assert replay.json()["name"] == "child"
    with api.hub.transaction() as session:
        kept = [str(r[0]) for r in session.execute(text("SELECT response FROM api_idempotency"))]
        assert kept and not any(child["token"] in k for k in kept)
    with api.client(child["token"]) as c:
        assert c.get("/api/v1/posts").status_code == 200
        assert c.get("/api/v1/tokens").status_code == 403  # no tokens:write
    with api.client(maker) as c:
        assert c.delete("/api/v1/tokens/child").json()["state"] == "revoked"
        assert c.delete("/api/v1/tokens/no-such").status_code == 404
    with api.client(child["token"]) as c:
        assert c.get("/api/v1/posts").status_code == 401
    assert [a[:2] for a in _audit(api, "ApiToken")][-2:] == [("api", "create"),
                                                             ("api", "revoke")]
    with api.client(api.token("posts:read")) as c:
        assert c.post("/api/v1/tokens", json={"name": "y", "scopes": ["posts:read"]}
                      ).status_code == 403


def test_another_organizations_token_cannot_be_revoked(api: Api) -> None:
    _rival(api)
    theirs = make_token(api.hub, "posts:read", name="theirs", organization="rival")
    with api.client(api.token("tokens:write,members:write")) as c:
        assert c.delete("/api/v1/tokens/theirs").status_code == 404
        assert all(t["name"] != "theirs" for t in c.get("/api/v1/tokens").json()["items"])
    with api.client(theirs) as c:
        assert c.get("/api/v1/posts").status_code == 200


@pytest.fixture
def team(home: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config
    from socialhub.services.teams.members import add_member

    hub = Hub(load_config())
    with hub.context("cli") as ctx:
        add_member(ctx, "eddie", "editor")
        add_member(ctx, "adam", "admin")
    yield hub
    hub.dispose()


def test_roles_bound_every_admin_scope(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor's members:write token adds nobody; an admin's cannot touch the owner
    nor manage the organization beyond its settings (SQLite: SOCIALHUB_LOGIN)."""
    import httpx

    monkeypatch.setenv("SOCIALHUB_LOGIN", "eddie")
    eddie = make_token(team, "members:write,org:write,audit:read,tokens:write", name="e")
    monkeypatch.setenv("SOCIALHUB_LOGIN", "adam")
    adam = make_token(team, "members:write,org:write", name="a")
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    with team.context("cli") as ctx:
        owner = ctx.actor.name
    for url in serve(team):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {eddie}"}) as c:
            assert c.post("/api/v1/members",
                          json={"login": "zed", "role": "viewer"}).status_code == 403
            assert c.patch("/api/v1/org", json={"approvals": "required"}).status_code == 403
            assert c.get("/api/v1/audit").status_code == 403
            # Editors make tokens for themselves, within their own scopes.
            made = c.post("/api/v1/tokens", json={"name": "e2", "scopes": ["audit:read"]})
            assert made.status_code == 201
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {adam}"}) as c:
            assert c.post("/api/v1/members",
                          json={"login": "olga", "role": "owner"}).status_code == 403
            assert c.delete(f"/api/v1/members/{owner}").status_code == 403
            assert c.post("/api/v1/members",
                          json={"login": "zed", "role": "viewer"}).status_code == 201
            assert c.patch("/api/v1/org", json={"approvals": "required"}).status_code == 200
