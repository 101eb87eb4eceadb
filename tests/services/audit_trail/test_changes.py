"""Every change writes one row with the fields it changed, before and after, on real
SQLite and PostgreSQL: posts (edit, schedule, cancel, delete), voices, campaigns,
accounts, slots and an apply's new posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from socialhub.core.when import parse_when
from socialhub.services.accounts.accounts import add_account
from socialhub.services.ai.voices import add_voice, edit_voice
from socialhub.services.audit_trail.trail import AuditFilter, list_audit
from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post, remove_post
from socialhub.services.authoring.scheduling import cancel_post, schedule_post
from socialhub.services.authoring.slots import add_slot


def _rows(hub: Any) -> list[dict[str, Any]]:
    with hub.context("cli") as ctx:
        return list(reversed(list_audit(ctx, AuditFilter(), limit=None).items))


def test_a_post_s_life_is_recorded_field_by_field(hub: Any) -> None:
    now = datetime.now(UTC)
    at = parse_when((now + timedelta(days=2)).strftime("%Y-%m-%d 09:00"), "UTC")
    with hub.context("cli") as ctx:
        add_account(ctx, platform="bluesky", handle="shop.example.com")
        create_post(ctx, body="Hello", targets=[TargetSpec(account="bluesky:@shop.example.com")],
                    name="launch", tags=["a"])
    with hub.context("tui") as ctx:
        edit_post(ctx, "launch", body="Hello world", tags=["a", "b"])
    with hub.context("cli") as ctx:
        schedule_post(ctx, "launch", at=at, now=now)
        cancel_post(ctx, "launch")
        remove_post(ctx, "launch")
    rows = [r for r in _rows(hub) if r["record_kind"] == "Post"]
    assert [(r["action"], r["channel"]) for r in rows] == [
        ("create", "cli"), ("update", "tui"), ("schedule", "cli"), ("cancel", "cli"),
        ("delete", "cli")]
    made, edited, scheduled, canceled, gone = (r["change"] for r in rows)
    assert made["body"] == {"before": None, "after": "Hello"}
    assert made["bluesky:@shop.example.com.text"]["after"] == "Hello"
    assert edited == {
        "body": {"before": "Hello", "after": "Hello world"},
        "tags": {"before": ["a"], "after": ["a", "b"]},
        "bluesky:@shop.example.com.text": {"before": "Hello", "after": "Hello world"}}
    assert scheduled["status"] == {"before": "draft", "after": "scheduled"}
    assert scheduled["bluesky:@shop.example.com.at"]["after"] == f"{at.local_text} UTC"
    assert canceled == {"status": {"before": "scheduled", "after": "canceled"}}
    assert gone["name"] == {"before": "launch", "after": None}


def test_voices_accounts_and_slots_record_what_changed(hub: Any) -> None:
    with hub.context("cli") as ctx:
        add_account(ctx, platform="mastodon", handle="me@example.social",
                    settings={"api_key": "do-not-log-me-please", "lang": "en"})
        add_voice(ctx, "brand", formality=2)
        edit_voice(ctx, "brand", formality=4, rename="house")
        add_slot(ctx, "mastodon:@me@example.social", weekday="mon", time="09:00", zone="UTC")
    rows = _rows(hub)
    account, voice, voice_edit, slot = (r["change"] for r in rows)
    assert account["settings"]["after"] == {"api_key": "[REDACTED]", "lang": "en"}
    assert voice["formality"] == {"before": None, "after": 2}
    assert voice_edit == {"name": {"before": "brand", "after": "house"},
                          "formality": {"before": 2, "after": 4}}
    assert slot["weekday"] == {"before": None, "after": "mon"}
    assert "do-not-log-me-please" not in repr(rows)


def test_an_apply_s_new_posts_are_chained_and_name_actor_and_channel(
        hub: Any) -> None:
    from socialhub.services.audit_trail.verify import verify_audit
    from socialhub.services.manifests.apply import apply_manifests
    from socialhub.services.manifests.documents import parse_manifests

    docs = "\n---\n".join(
        f"apiVersion: socialhub/v1\nkind: Post\nmetadata: {{name: p{i}}}\nspec: {{body: b{i}}}"
        for i in range(3))
    manifests, issues = parse_manifests([("posts.yaml", docs)])
    assert issues == []
    with hub.context("cli") as ctx:
        apply_manifests(ctx, manifests, now=datetime.now(UTC))
    rows = _rows(hub)
    assert [(r["record_name"], r["channel"], r["change"]["body"]["after"]) for r in rows] == [
        ("p0", "cli", "b0"), ("p1", "cli", "b1"), ("p2", "cli", "b2")]
    with hub.context("cli") as ctx:
        assert verify_audit(ctx).intact
