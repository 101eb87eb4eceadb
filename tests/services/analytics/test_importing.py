"""``import_history`` as a use case: who may import, and what a refused import leaves."""

from __future__ import annotations

import gc
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
    assert gc.isenabled()  # paused during the import only, even a refused one


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


def test_a_second_file_adds_its_new_posts_after_the_first_in_published_order(
        ctx: Any, tmp_path: Path) -> None:
    """The import allocates its ids before inserting (nothing read back): a second file
    lands after the first, each new post's rows point at each other, and new ids follow
    the publishing order whatever the file's order."""
    from sqlalchemy import select

    from socialhub.db.models import Delivery, MetricLatest, MetricSnapshot, Post, Variant

    add_account(ctx, platform="bluesky", handle="shop.example.com")
    row = "bluesky:@shop.example.com,2026-11-0{day}T09:30:00Z,post {day},,,{likes},,,,,"
    first = _file(tmp_path, row.format(day=3, likes=1), row.format(day=2, likes=2))
    assert import_history(ctx, first).imported == 2
    second = tmp_path / "second.csv"
    second.write_text("\n".join([HEADER, row.format(day=5, likes=5), row.format(day=2, likes=2),
                                 row.format(day=4, likes="")]) + "\n", encoding="utf-8")
    summary = import_history(ctx, second)
    assert (summary.imported, summary.unchanged) == (2, 1)
    found = ctx.session.execute(
        select(Post.id, Post.body, Variant.id, Variant.text, Delivery.id, Delivery.published_at,
               MetricLatest.likes, MetricSnapshot.likes)
        .join(Variant, Variant.post_id == Post.id).join(Delivery, Delivery.variant_id == Variant.id)
        .join(MetricLatest, MetricLatest.delivery_id == Delivery.id)
        .join(MetricSnapshot, MetricSnapshot.delivery_id == Delivery.id)
        .order_by(Post.id)).all()
    assert [(r[1], r[3], r[5].day, r[6], r[7]) for r in found] == [
        ("post 2", "post 2", 2, 2, 2), ("post 3", "post 3", 3, 1, 1),
        ("post 4", "post 4", 4, None, None), ("post 5", "post 5", 5, 5, 5)]
    for column in (0, 2, 4):
        assert [r[column] for r in found] == sorted(r[column] for r in found)


def test_languages_detected_in_a_second_process_are_the_same(
        ctx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From ``PARALLEL_FROM`` rows on, a forked process detects every row's language
    from the moment the file is read, while the import checks and inserts: the same
    answers as in-line, on the same rows."""
    from socialhub.services.analytics import importing
    from socialhub.services.authoring.scheduling import show_post

    texts = ["Our spring collection is finally here and it looks wonderful",
             "Notre collection de printemps est enfin arrivée dans la boutique",
             "ok", "Unsere Frühjahrskollektion ist endlich da und sieht toll aus",
             "La nostra collezione di primavera è finalmente arrivata in negozio"]
    process = importing._LanguageProcess(texts * 3)
    try:
        forked = process.languages()
    finally:
        process.close()
    assert forked == [importing.detect_language(t) for t in texts * 3]
    assert forked[:5] == ["en", "fr", None, "de", "it"]

    monkeypatch.setattr(importing, "PARALLEL_FROM", 2)
    monkeypatch.setattr(importing, "_can_fork", lambda: True)
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    path = _file(tmp_path, *(f"bluesky:@shop.example.com,2026-11-0{day}T09:30:00Z,{text},,,1,,,,,"
                             for day, text in enumerate(texts, 1)))
    assert import_history(ctx, path).imported == 5
    found = posts(ctx, Filters(since="2026-11-01", until="2026-11-06"))["posts"]
    languages = {p["text"][:5]: show_post(ctx, p["post"])["targets"][0]["language"]
                 for p in found}
    assert languages == {"Our s": "en", "Notre": "fr", "ok": None, "Unser": "de",
                         "La no": "it"}


def test_the_language_process_is_stopped_when_not_needed_and_replaced_when_it_fails(
        ) -> None:
    """A re-import whose rows are all known never asks for languages: the second
    process is stopped, not waited for. One that dies early is replaced by detection
    in this process, with the same answers."""
    from socialhub.services.analytics import importing

    texts = ["Our spring collection is finally here and it looks wonderful",
             "Notre collection de printemps est enfin arrivée dans la boutique"]
    unneeded = importing._LanguageProcess(texts * 50_000)  # seconds of work
    unneeded.close()
    assert unneeded._process.exitcode is not None and unneeded._process.exitcode < 0
    failed = importing._LanguageProcess(texts)
    failed._process.kill()
    failed._process.join()
    try:
        assert failed.languages() == ["en", "fr"]
    finally:
        failed.close()
