"""AI generation, campaigns, slots and voices through real HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.fakes.anthropic_server import FakeAnthropic, prompt_data

TARGET = "bluesky:@shop.example.com"


def _post_names(api: Api) -> list[str]:
    from sqlalchemy import select

    from socialhub.db.models import Post

    with api.hub.transaction() as session:
        return list(session.scalars(select(Post.name).order_by(Post.id)))


def test_generate_adapt_rewrite_offline_as_the_tokens_member(api: Api) -> None:
    token = api.token("posts:write,ai:generate")
    body: dict[str, Any] = {"idea": "Spring sale starts Monday", "targets": [TARGET],
                            "name": "spring", "variants": 2, "provider": "offline"}
    with api.client(token, **{"Idempotency-Key": "gen-1"}) as c:
        made = c.post("/api/v1/posts/generate", json=body)
        assert made.status_code == 201, made.text
        data = made.json()
        assert data["post"] == "spring" and data["status"] == "draft"
        assert data["provider"] == "offline"
        assert [(v["target"], v["n"]) for v in data["variants"]] == [(TARGET, 1), (TARGET, 2)]
        again = c.post("/api/v1/posts/generate", json=body)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == data
    assert _post_names(api) == ["spring"]
    with api.client(token) as c:
        shown = c.get("/api/v1/posts/spring").json()
        assert shown["targets"][0]["text"] == data["variants"][0]["text"]
        adapted = c.post("/api/v1/posts/spring/adapt", json={"provider": "offline"})
        assert adapted.status_code == 200, adapted.text
        assert [v["target"] for v in adapted.json()["variants"]] == [TARGET]
        rewritten = c.post("/api/v1/posts/spring/rewrite",
                           json={"target": TARGET, "instruction": "shorter",
                                 "provider": "offline"})
        assert rewritten.status_code == 200, rewritten.text
        text = rewritten.json()["variants"][0]["text"]
        assert c.get("/api/v1/posts/spring").json()["targets"][0]["text"] == text
        scored = c.get("/api/v1/posts/spring/score")
        assert scored.status_code == 200, scored.text
        assert {(r["target"], r["stored"]) for r in scored.json()["variants"]} >= {
            (TARGET, True)}
        offline = c.post("/api/v1/posts/spring/translate",
                         json={"to": ["de"], "provider": "offline"})
        assert offline.status_code == 503 and offline.json()["code"] == "misconfigured"
        empty = c.post("/api/v1/posts/generate", json={"targets": [TARGET]})
        assert empty.status_code == 422
        # A brief is a campaign's: reading it needs campaigns:read too.
        assert c.post("/api/v1/posts/generate", json={"brief": "nope"}).status_code == 403
    with api.client(api.token("posts:write,ai:generate,campaigns:read")) as c:
        assert c.post("/api/v1/posts/generate", json={"brief": "nope"}).status_code == 404
    assert _post_names(api) == ["spring"]


@pytest.fixture
def fake(db_home: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """The local Messages-API server, configured before the API's hub is made."""
    with FakeAnthropic() as server:
        monkeypatch.setenv("SOCIALHUB_AI_API_KEY", "test-key")
        monkeypatch.setenv("SOCIALHUB_AI_BASE_URL", server.url)
        monkeypatch.setenv("SOCIALHUB_AI_MODEL", "claude-haiku-4-5")
        yield server


def test_generate_and_translate_through_anthropic(fake: FakeAnthropic, api: Api) -> None:
    with api.client(api.token("posts:write,ai:generate")) as c:
        made = c.post("/api/v1/posts/generate", json={"idea": "Forty signed pieces",
                                                      "targets": [TARGET], "name": "pieces"})
        assert made.status_code == 201, made.text
        assert made.json()["provider"] == "anthropic"
        assert [t["ref"] for t in prompt_data(fake.requests[0].prompt)["targets"]] == [TARGET]
        calls = len(fake.requests)
        key = {"Idempotency-Key": "tr-1"}
        body = {"to": ["de"]}
        translated = c.post("/api/v1/posts/pieces/translate", json=body, headers=key)
        assert translated.status_code == 201, translated.text
        assert [t["post"] for t in translated.json()["translations"]] == ["pieces.de"]
        replay = c.post("/api/v1/posts/pieces/translate", json=body, headers=key)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert len(fake.requests) == calls + 1  # the replay never asked the model again
        german = c.get("/api/v1/posts/pieces.de").json()
        assert german["targets"][0]["language"] == "de"
    assert _post_names(api) == ["pieces", "pieces.de"]


def test_generation_needs_both_scopes_and_writes_nothing_without(api: Api) -> None:
    body = {"idea": "Spring sale", "targets": [TARGET], "provider": "offline"}
    for scopes in ("posts:write", "ai:generate"):
        with api.client(api.token(scopes)) as c:
            refused = c.post("/api/v1/posts/generate", json=body)
            assert refused.status_code == 403, (scopes, refused.text)
            assert refused.json()["code"] == "forbidden"
    assert _post_names(api) == []
    with api.hub.context("cli") as ctx:
        from socialhub.services.authoring.posts import TargetSpec, create_post

        create_post(ctx, body="Spring sale", name="s", targets=[TargetSpec(account=TARGET)])
    with api.client(api.token("posts:write")) as c:
        assert c.post("/api/v1/posts/s/adapt", json={}).status_code == 403
        assert c.get("/api/v1/posts/s/score").status_code == 403
        assert c.post("/api/v1/posts/s/rewrite", json={"target": TARGET,
                                                       "instruction": "x"}).status_code == 403
    from sqlalchemy import func, select

    from socialhub.db.models import AIUsage

    with api.hub.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AIUsage)) == 0


def test_campaigns_slots_and_voices_writes(api: Api) -> None:
    token = api.token("campaigns:write,slots:write,voices:write")
    with api.client(token) as c:
        made = c.post("/api/v1/campaigns", json={"name": "spring", "starts": "2026-03-01",
                                                 "ends": "2026-04-30", "budget": "900",
                                                 "currency": "eur"})
        assert made.status_code == 201, made.text
        assert made.json()["name"] == "spring"
        assert c.get("/api/v1/campaigns/spring").status_code == 200
        assert c.post("/api/v1/campaigns", json={"name": "spring"}).status_code == 409
        bad = c.post("/api/v1/campaigns", json={"name": "x", "starts": "2026-05-01",
                                                "ends": "2026-04-01"})
        assert bad.status_code == 422

        slots = c.post("/api/v1/slots", json={"account": TARGET, "days": ["mon", "wed"],
                                              "times": ["09:00"], "zone": "Europe/Berlin"})
        assert slots.status_code == 201, slots.text
        ids = [s["id"] for s in slots.json()["items"]]
        assert len(ids) == 2
        # One pair already there: nothing of the request is added.
        dup = c.post("/api/v1/slots", json={"account": TARGET, "days": ["fri", "mon"],
                                            "times": ["09:00"], "zone": "Europe/Berlin"})
        assert dup.status_code == 409
        assert len(c.get("/api/v1/slots").json()["items"]) == 2
        assert c.delete(f"/api/v1/slots/{ids[0]}").json() == {"id": ids[0], "removed": True}
        assert c.delete(f"/api/v1/slots/{ids[0]}").status_code == 404
        # Suggestions learn from analytics: slots:write alone may not read them.
        assert c.get("/api/v1/slots/suggestions",
                     params={"account": TARGET}).status_code == 403

        voice = c.post("/api/v1/voices", json={"name": "shop", "tone": ["warm"],
                                               "formality": 4, "default": True})
        assert voice.status_code == 201, voice.text
        assert voice.json()["default"] is True
        edited = c.patch("/api/v1/voices/shop", json={"formality": 7, "avoid": ["synergy"]})
        assert edited.status_code == 200, edited.text
        trained = c.post("/api/v1/voices/shop/train",
                         json={"samples": ["Fresh mugs today.", "Glaze day! Come by."]})
        assert trained.status_code == 200 and trained.json()["created"] is False
        shown = c.get("/api/v1/voices/shop").json()
        assert shown["formality"] == 7 and "synergy" in shown["phrases_avoid"]
        assert c.delete("/api/v1/voices/shop").json() == {"name": "shop", "removed": True}
        assert c.get("/api/v1/voices/shop").status_code == 404


def test_slot_suggestions_without_history_add_nothing(api: Api) -> None:
    with api.client(api.token("analytics:read,slots:write")) as c:
        shown = c.get("/api/v1/slots/suggestions", params={"account": TARGET, "count": 2})
        assert shown.status_code == 200, shown.text
        assert shown.json()["suggestions"] == []
        applied = c.post("/api/v1/slots/suggestions", json={"account": TARGET})
        assert applied.status_code == 200, applied.text
        assert c.get("/api/v1/slots").json()["items"] == []


def test_planning_writes_need_their_scopes(api: Api) -> None:
    with api.client(api.token("campaigns:read,slots:read,voices:read")) as c:
        assert c.post("/api/v1/campaigns", json={"name": "spring"}).status_code == 403
        assert c.post("/api/v1/slots", json={"account": TARGET, "days": ["mon"],
                                             "times": ["09:00"]}).status_code == 403
        assert c.post("/api/v1/voices", json={"name": "shop"}).status_code == 403
        assert c.get("/api/v1/campaigns").json()["items"] == []
        assert c.get("/api/v1/slots").json()["items"] == []
        assert c.get("/api/v1/voices").json()["items"] == []
