"""The statements ``analytics import`` runs: which imported posts exist already, and
the bulk ``INSERT``s of new ones (post, variant, published delivery, snapshot, latest).

An imported post is an ordinary published delivery whose idempotency key is
``import:<key>`` (the key is the account and URL, or the account, instant and text
hash), so re-importing finds it instead of adding it again. Inserts go in batches of
``executemany``; new ids are read back by the unique post name, (post, account) and
idempotency key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
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
                .where(_among(Delivery.idempotency_key, chunk))):
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
    posts, variants, deliveries = _table(Post), _table(Variant), _table(Delivery)
    bulk_insert(session, posts, [
        {"org_id": org_id, "name": r["name"], "body": r["text"], "status": "published",
         "created_at": now, "updated_at": now} for r in rows])
    post_id = dict(session.execute(select(posts.c.name, posts.c.id).where(
        posts.c.org_id == org_id, _among(posts.c.name, [r["name"] for r in rows]))).all())
    bulk_insert(session, variants, [
        {"post_id": post_id[r["name"]], "account_id": r["account_id"], "text": r["text"],
         "scheduled_at": r["published_at"], "timezone": "UTC", "created_at": now,
         "updated_at": now} for r in rows])
    variant_id = dict(session.execute(select(variants.c.post_id, variants.c.id).where(
        _among(variants.c.post_id, list(post_id.values())))).all())
    bulk_insert(session, deliveries, [
        {"variant_id": variant_id[post_id[r["name"]]], "account_id": r["account_id"],
         "due_at": r["published_at"], "next_attempt_at": r["published_at"],
         "status": "published", "idempotency_key": KEY_PREFIX + r["key"],
         "remote_url": r["url"], "published_at": r["published_at"], "created_at": now,
         "updated_at": now} for r in rows])
    delivery_id = dict(session.execute(select(deliveries.c.idempotency_key, deliveries.c.id)
                                       .where(_among(deliveries.c.idempotency_key,
                                              [KEY_PREFIX + r["key"] for r in rows]))).all())
    ids = [delivery_id[KEY_PREFIX + r["key"]] for r in rows]
    bulk_insert(session, _table(MetricSnapshot), [
        {"delivery_id": d, "captured_at": now, "raw": _IMPORT_RAW, **r["metrics"]}
        for d, r in zip(ids, rows, strict=True)])
    bulk_insert(session, _table(MetricLatest), [
        {"delivery_id": d, "source": "import", "first_captured_at": now, "captured_at": now,
         "snapshots": 1, **r["metrics"]}
        for d, r in zip(ids, rows, strict=True)])


_IMPORT_RAW = {"source": "import"}


def _among(column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)`` with the values written into the statement.

    A bound list lets psycopg prepare the statement after five runs, and PostgreSQL's
    generic plan for ``IN ($1 … $500)`` compared every row with every key (a fresh
    import of 20,000 rows ran at 323 rows/s, re-importing it at 298); written inline,
    each look-up is planned with its values and takes the unique index.
    """
    return column.in_(bindparam(f"among_{column.key}", list(values), expanding=True,
                                literal_execute=True))


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``INSERT`` ``rows`` (all with the same keys) into ``table`` with one driver
    ``executemany``, converting each distinct value of a column once.

    Why not ``session.execute(insert(table), rows)``: SQLAlchemy converts every bound
    value of every row (a timestamp 13 times per imported post, the same empty JSON
    list 10,000 times); with five tables per post that was most of an import's time.
    Here the values are converted column by column, each distinct one once, and the
    rows zipped back for the driver. Columns left out get their default (a constant
    or a callable of no context, as every default in ``models`` is).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup or compiled.binds)
    columns = []
    for name in names:
        process = table.c[name].type._cached_bind_processor(dialect)
        if name not in rows[0]:
            value = _default(table, name)
            columns.append([process(value) if process and value is not None else value]
                           * len(rows))
            continue
        values = [row[name] for row in rows]
        if process is not None:
            values = _converted(values, process)
        columns.append(values)
    params: list[Any] = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, row, strict=True)) for row in params]
    connection.exec_driver_sql(compiled.string, params)


def _converted(values: list[Any], process: Any) -> list[Any]:
    first = values[0]
    if all(v is first for v in values):  # one shared value (a constant JSON, ``now``)
        return [None if first is None else process(first)] * len(values)
    if not isinstance(first, str | int | datetime | None):
        return [None if v is None else process(v) for v in values]
    distinct = {v: None if v is None else process(v) for v in set(values)}
    return [distinct[v] for v in values]


def _default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    return arg(None) if callable(arg) else arg
