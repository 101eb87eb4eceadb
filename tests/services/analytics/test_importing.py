"""``import_history`` as a use case: who may import, and what a refused import leaves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from socialhub.errors import PermissionDeniedError
from socialhub.services.accounts.accounts import add_account
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.importing import HistoryImportError, import_history
from socialhub.services.analytics.reports import posts
from tests.conftest import ctx_as

HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"


def _file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "h.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_viewer_may_read_analytics_but_not_import(ctx: Any, tmp_path: Path) -> None:
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    path = _file(tmp_path, "bluesky:@shop.example.com,2026-11-02T09:30:00Z,hi,,,1,,,,,")
    viewer = ctx_as(ctx, "viewer")
    with pytest.raises(PermissionDeniedError):
        import_history(viewer, path)
    assert posts(viewer, Filters(since="2026-11-01", until="2026-11-03"))["posts"] == []
    assert import_history(ctx_as(ctx, "editor"), path).imported == 1


def test_every_bad_row_is_listed_and_the_good_ones_are_not_written(
        ctx: Any, tmp_path: Path) -> None:
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    path = _file(tmp_path,
                 "bluesky:@shop.example.com,2026-11-02T09:30:00Z,good,,,1,,,,,",
                 "bluesky:@shop.example.com,yesterday,bad time,,,1,,,,,",
                 "bluesky:@shop.example.com,2026-11-02T09:30:00Z,good,,,1,,,,,",
                 "bluesky:@shop.example.com,2026-11-03T09:30:00Z,,ftp://x,,1.5,,,,,")
    with pytest.raises(HistoryImportError) as caught:
        import_history(ctx, path)
    errors = caught.value.errors
    assert errors[0].startswith(f"{path}:3: published_at 'yesterday' is not ISO 8601")
    assert f"{path}:4: the same post as {path}:2" in errors
    assert f"{path}:5: url 'ftp://x' is not an http(s) URL" in errors
    assert any(e.startswith(f"{path}:5: likes '1.5' is not a whole number") for e in errors)
    assert posts(ctx, Filters(since="2026-11-01", until="2026-11-04"))["posts"] == []


def test_imported_posts_carry_their_detected_language(ctx: Any, tmp_path: Path) -> None:
    from socialhub.services.authoring.scheduling import show_post

    add_account(ctx, platform="bluesky", handle="shop.example.com")
    path = _file(tmp_path,
                 "bluesky:@shop.example.com,2026-11-02T09:30:00Z,"
                 "Our spring collection is finally here and it looks wonderful,,,1,,,,,",
                 "bluesky:@shop.example.com,2026-11-03T09:30:00Z,"
                 "Notre collection de printemps est enfin arrivée dans la boutique,,,1,,,,,",
                 "bluesky:@shop.example.com,2026-11-04T09:30:00Z,ok,,,1,,,,,")
    import_history(ctx, path)
    found = {p["text"]: p for p in posts(ctx, Filters(since="2026-11-01",
                                                      until="2026-11-05"))["posts"]}
    languages = {text[:5]: show_post(ctx, found[text]["post"])["targets"][0]["language"]
                 for text in found}
    assert languages == {"Our s": "en", "Notre": "fr", "ok": None}
