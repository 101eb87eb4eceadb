"""The statements ``analytics import`` runs: which imported posts exist already, and
the bulk ``INSERT``s of new ones (post, variant, published delivery, snapshot, latest).

An imported post is an ordinary published delivery whose idempotency key is
``import:<key>`` (the key is the account and URL, or the account, instant and text
hash), so re-importing finds it instead of adding it again. Inserts go in batches
with ``RETURNING`` (SQLAlchemy's insertmanyvalues, both databases).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from socialhub.db.models import Delivery, MetricLatest, MetricSnapshot, Post, Variant

KEY_PREFIX = "import:"
_CHUNK = 500


def existing_imports(session: Session, keys: Sequence[str], metrics: Sequence[str]
                     ) -> dict[str, tuple[int, dict[str, int | None]]]:
    """For each of ``keys`` already imported: its delivery id and latest ``metrics``."""
    found: dict[str, tuple[int, dict[str, int | None]]] = {}
    columns = [getattr(MetricLatest, m) for m in metrics]
    for start in range(0, len(keys), _CHUNK):
        chunk = [KEY_PREFIX + k for k in keys[start:start + _CHUNK]]
        for row in session.execute(
                select(Delivery.idempotency_key, Delivery.id, *columns)
                .outerjoin(MetricLatest, MetricLatest.delivery_id == Delivery.id)
                .where(Delivery.idempotency_key.in_(chunk))):
            found[row[0][len(KEY_PREFIX):]] = (row[1], dict(zip(metrics, row[2:], strict=True)))
    return found


def insert_imported(session: Session, org_id: int, rows: Sequence[dict[str, Any]],
                    now: datetime) -> int:
    """Insert new imported posts, each one row of ``rows``: ``key``, ``name``,
    ``account_id``, ``text``, ``url``, ``published_at`` and ``metrics`` (name → count
    or None). Returns how many were inserted."""
    for start in range(0, len(rows), _CHUNK):
        _insert_chunk(session, org_id, rows[start:start + _CHUNK], now)
    return len(rows)


def _insert_chunk(session: Session, org_id: int, rows: Sequence[dict[str, Any]],
                  now: datetime) -> None:
    post_ids = session.scalars(
        insert(Post).returning(Post.id, sort_by_parameter_order=True),
        [{"org_id": org_id, "name": r["name"], "body": r["text"], "status": "published",
          "tags": [], "created_at": now, "updated_at": now} for r in rows]).all()
    variant_ids = session.scalars(
        insert(Variant).returning(Variant.id, sort_by_parameter_order=True),
        [{"post_id": p, "account_id": r["account_id"], "text": r["text"],
          "scheduled_at": r["published_at"], "timezone": "UTC", "created_at": now,
          "updated_at": now} for p, r in zip(post_ids, rows, strict=True)]).all()
    delivery_ids = session.scalars(
        insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True),
        [{"variant_id": v, "account_id": r["account_id"], "due_at": r["published_at"],
          "next_attempt_at": r["published_at"], "status": "published",
          "idempotency_key": KEY_PREFIX + r["key"], "remote_url": r["url"],
          "published_at": r["published_at"], "created_at": now, "updated_at": now}
         for v, r in zip(variant_ids, rows, strict=True)]).all()
    session.execute(insert(MetricSnapshot), [
        {"delivery_id": d, "captured_at": now, "raw": {"source": "import"}, **r["metrics"]}
        for d, r in zip(delivery_ids, rows, strict=True)])
    session.execute(insert(MetricLatest), [
        {"delivery_id": d, "source": "import", "first_captured_at": now, "captured_at": now,
         "snapshots": 1, **r["metrics"]}
        for d, r in zip(delivery_ids, rows, strict=True)])
