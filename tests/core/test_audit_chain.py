"""The audit hash chain's rules: one encoding on every database, and a check that names
the first edited, deleted or reordered row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from socialhub.core.audit_chain import check_chain, genesis_hash, link, row_hash

T0 = datetime(2026, 12, 6, 9, 30, 0, 123456, tzinfo=UTC)


def _rows(n: int, org_id: int | None = 1) -> list[dict[str, Any]]:
    rows = [{"id": i + 1, "org_id": org_id, "at": T0 + timedelta(seconds=i), "actor": "ann",
             "channel": "cli", "action": "update", "record_kind": "Post", "record_id": 7,
             "record_name": "launch", "change": {"body": {"before": f"v{i}", "after": f"v{i + 1}"}}}
            for i in range(n)]
    link(rows, genesis_hash(org_id))
    return rows


def test_an_untouched_chain_is_intact_and_reports_its_head() -> None:
    rows = _rows(5)
    result = check_chain(1, rows)
    assert result.broken is None and result.rows == 5 and result.head == rows[-1]["hash"]


def test_the_hash_is_the_same_for_any_zone_of_the_same_instant_and_any_key_order() -> None:
    row = _rows(1)[0]
    shifted = {**row, "at": row["at"].astimezone(timezone(timedelta(hours=5)))}
    reordered = dict(reversed(list(row.items())))
    naive = {**row, "at": row["at"].replace(tzinfo=None)}
    prev = row["prev_hash"]
    assert row_hash(shifted, prev) == row_hash(reordered, prev) == row_hash(naive, prev) \
        == row["hash"]


def test_each_organization_has_its_own_genesis() -> None:
    assert len({genesis_hash(None), genesis_hash(1), genesis_hash(2)}) == 3


def test_an_edited_row_is_named_as_edited() -> None:
    rows = _rows(4)
    rows[2]["actor"] = "mallory"
    broken = check_chain(1, rows).broken
    assert broken is not None and (broken.row_id, broken.problem) == (3, "edited")


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link() -> None:
    rows = _rows(4)
    rows[1]["change"] = {}
    rows[1]["hash"] = row_hash(rows[1], rows[1]["prev_hash"])
    broken = check_chain(1, rows).broken
    assert broken is not None and (broken.row_id, broken.problem) == (3, "deleted")


def test_a_deleted_row_is_named_by_the_row_after_it() -> None:
    rows = _rows(4)
    del rows[1]
    broken = check_chain(1, rows).broken
    assert broken is not None and (broken.row_id, broken.problem) == (3, "deleted")
    first_gone = check_chain(1, _rows(3)[1:]).broken
    assert first_gone is not None and first_gone.row_id == 2
    assert first_gone.detail.startswith("the first row")


def test_swapped_rows_are_named_as_reordered() -> None:
    rows = _rows(4)
    rows[1]["id"], rows[2]["id"] = rows[2]["id"], rows[1]["id"]
    rows[1], rows[2] = rows[2], rows[1]
    broken = check_chain(1, rows).broken
    assert broken is not None and (broken.row_id, broken.problem) == (2, "reordered")


def test_a_forged_row_with_a_made_up_hash_is_caught() -> None:
    rows = _rows(3)
    forged = {**rows[1], "id": 99, "actor": "mallory", "hash": "f" * 64}
    broken = check_chain(1, [*rows, forged]).broken
    assert broken is not None and (broken.row_id, broken.problem) == (99, "edited")


def test_long_texts_are_kept_as_their_start_and_a_digest() -> None:
    from socialhub.core.audit_chain import TEXT_KEPT_CHARS, clip_text

    short = "x" * TEXT_KEPT_CHARS
    assert clip_text(short) == short
    kept = clip_text("y" * 5_000_000)
    assert kept.startswith("y" * 200 + "… [5,000,000 chars, sha256:") and len(kept) < 300
    assert clip_text("y" * 5_000_000) == kept and clip_text("z" * 5_000_000) != kept
