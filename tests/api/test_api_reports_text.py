"""Reports in four formats, AI usage, text measuring and splitting, hashtags through real
HTTP (SQLite and PostgreSQL), as ``socialhub report``, ``ai usage``, ``text`` and
``hashtags`` do."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Api, add_rival


def test_a_report_comes_in_the_format_asked_for_with_its_media_type(api: Api) -> None:
    from socialhub.services.authoring.campaigns import add_campaign

    with api.hub.context("cli") as ctx:
        add_campaign(ctx, "spring")
    with api.client(api.token("analytics:read")) as c:
        as_json = c.get("/api/v1/reports", params={"since": "2026-11-01"})
        assert as_json.status_code == 200, as_json.text
        assert as_json.headers["content-type"] == "application/json"
        assert {"title", "window", "totals"} <= set(as_json.json())
        as_csv = c.get("/api/v1/reports", params={"format": "csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in as_csv.headers["content-disposition"]
        assert next(csv.reader(io.StringIO(as_csv.text)))
        as_html = c.get("/api/v1/reports", params={"format": "html"})
        assert as_html.headers["content-type"].startswith("text/html")
        assert "<svg" in as_html.text or "<html" in as_html.text.lower()
        as_pdf = c.get("/api/v1/reports", params={"format": "pdf"})
        assert as_pdf.status_code == 200, as_pdf.text
        assert as_pdf.headers["content-type"] == "application/pdf"
        assert as_pdf.content.startswith(b"%PDF")
        assert c.get("/api/v1/reports", params={"format": "docx"}).status_code == 422
        # A campaign's report holds its experiments: that needs experiments:read too.
        assert c.get("/api/v1/reports", params={"campaign": "spring"}).status_code == 403
    with api.client(api.token("analytics:read,experiments:read")) as c:
        spring = c.get("/api/v1/reports", params={"campaign": "spring"})
        assert spring.status_code == 200, spring.text
        assert "spring" in spring.json()["title"]
        assert c.get("/api/v1/reports", params={"campaign": "nope"}).status_code == 404
    with api.client(api.token("posts:read")) as c:
        refused = c.get("/api/v1/reports")
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


def test_another_organizations_campaign_report_is_a_404(api: Api) -> None:
    from socialhub.services.authoring.campaigns import add_campaign

    add_rival(api.hub)
    with api.hub.context("cli", organization="rival") as ctx:
        add_campaign(ctx, "rival-plan")
    with api.client(api.token("analytics:read,experiments:read")) as c:
        assert c.get("/api/v1/reports",
                     params={"campaign": "rival-plan"}).status_code == 404


def test_ai_usage_needs_its_scope_and_reads_a_date(api: Api) -> None:
    with api.client(api.token("ai:read")) as c:
        usage = c.get("/api/v1/ai/usage", params={"since": "2026-01-01"})
        assert usage.status_code == 200, usage.text
        data = usage.json()
        assert data["calls"] == 0 and data["by_model"] == []
        assert data["since"].startswith("2026-01-01")
        assert c.get("/api/v1/ai/usage", params={"since": "last year"}).status_code == 422
    with api.client(api.token("ai:generate")) as c:
        assert c.get("/api/v1/ai/usage").status_code == 403


def test_text_is_measured_split_and_tagged_with_any_valid_token(api: Api) -> None:
    with api.client(api.token("posts:read")) as c:
        fits = c.post("/api/v1/text/measure", json={"text": "Hello 👋", "platform": "bluesky"})
        assert fits.status_code == 200, fits.text
        assert fits.json()["valid"] is True and fits.json()["length"] == 7
        over = c.post("/api/v1/text/measure", json={"text": "a" * 301, "platform": "bluesky"})
        assert over.status_code == 200 and over.json()["valid"] is False
        parts = c.post("/api/v1/text/split", json={"text": "word " * 120, "platform": "x",
                                                   "number": True}).json()["parts"]
        assert len(parts) > 1 and all(p["length"] <= p["limit"] for p in parts)
        assert parts[0]["text"].endswith(f"1/{len(parts)}")
        tags = c.post("/api/v1/hashtags/suggest",
                      json={"text": "Handmade ceramics from our Berlin studio",
                            "platform": "instagram", "count": 3}).json()
        assert tags["platform"] == "instagram" and 0 < len(tags["hashtags"]) <= 3
        unknown = c.post("/api/v1/text/measure", json={"text": "hi", "platform": "myspace"})
        assert unknown.status_code == 422
        assert c.post("/api/v1/text/measure",
                      json={"text": "hi", "platform": "x", "extra": 1}).status_code == 422
    with api.client() as c:
        assert c.post("/api/v1/text/measure",
                      json={"text": "hi", "platform": "x"}).status_code == 401
