"""The statements ``analytics import`` runs: which imported posts exist already, and
the bulk ``INSERT``s of new ones (post, variant, published delivery, snapshot, latest).

An imported post is an ordinary published delivery whose idempotency key is
``import:<key>`` (the key is the account and URL, or the account, instant and text
hash), so re-importing finds it instead of adding it again. Inserts go in batches of
``executemany`` (one driver call per table and batch, each distinct value converted
once); the new rows' ids are allocated first (:func:`new_ids`), so none is read back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, any_, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from socialhub.db.models import Delivery, MetricLatest, MetricSnapshot, Post, Variant

KEY_PREFIX = "import:"
_CHUNK = 5000


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
                .where(_among(session, Delivery.idempotency_key, chunk))):
            found[row[0][len(KEY_PREFIX):]] = (row[1], dict(zip(metrics, row[2:], strict=True)))
    return found


def insert_imported(session: Session, org_id: int, rows: Sequence[dict[str, Any]],
                    now: datetime) -> int:
    """Insert new imported posts, each one row of ``rows``: ``key``, ``name``,
    ``account_id``, ``text``, ``language`` (or None), ``url``, ``published_at`` and
    ``metrics`` (name → count or None). Returns how many were inserted."""
    cache: dict[Any, Any] = {}  # converted values, shared by every table and chunk
    for start in range(0, len(rows), _CHUNK):
        _insert_chunk(session, org_id, rows[start:start + _CHUNK], now, cache)
    return len(rows)


def _insert_chunk(session: Session, org_id: int, rows: Sequence[dict[str, Any]],
                  now: datetime, cache: dict[Any, Any]) -> None:
    posts, variants, deliveries = _table(Post), _table(Variant), _table(Delivery)
    n = len(rows)
    texts = [r["text"] for r in rows]
    accounts = [r["account_id"] for r in rows]
    published = [r["published_at"] for r in rows]
    post_ids = new_ids(session, posts, n)
    variant_ids = new_ids(session, variants, n)
    ids = new_ids(session, deliveries, n)
    bulk_insert(session, posts, {"id": post_ids, "org_id": org_id,
                                 "name": [r["name"] for r in rows], "body": texts,
                                 "status": "published", "created_at": now,
                                 "updated_at": now}, n, cache)
    bulk_insert(session, variants, {"id": variant_ids, "post_id": post_ids,
                                    "account_id": accounts, "text": texts,
                                    "scheduled_at": published,
                                    "language": [r.get("language") for r in rows],
                                    "timezone": "UTC", "created_at": now,
                                    "updated_at": now}, n, cache)
    bulk_insert(session, deliveries, {
        "id": ids, "variant_id": variant_ids, "account_id": accounts,
        "due_at": published, "next_attempt_at": published, "status": "published",
        "idempotency_key": [KEY_PREFIX + r["key"] for r in rows],
        "remote_url": [r["url"] for r in rows],
        "published_at": published, "created_at": now, "updated_at": now}, n, cache)
    metrics: dict[str, Any] = {m: [r["metrics"][m] for r in rows] for m in rows[0]["metrics"]}
    bulk_insert(session, _table(MetricSnapshot), {"delivery_id": ids, "captured_at": now,
                                                  "raw": _IMPORT_RAW, **metrics}, n, cache)
    bulk_insert(session, _table(MetricLatest), {
        "delivery_id": ids, "source": "import", "first_captured_at": now, "captured_at": now,
        "snapshots": 1, **metrics}, n, cache)


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` ids for new rows of ``table`` (its integer ``id``), allocated before the
    rows are inserted, so nothing is read back after: on PostgreSQL from the column's
    sequence, as its default would; on SQLite the rowids after the largest, as SQLite
    itself allocates them (no table uses AUTOINCREMENT) — safe because every SQLite
    transaction here begins with ``BEGIN IMMEDIATE`` and so holds the write lock until
    it ends."""
    if not count:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            .select_from(func.generate_series(1, count))))
    last = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(last + 1, last + 1 + count))


_IMPORT_RAW = {"source": "import"}


def _among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column`` is one of ``values``, as one bound parameter.

    On PostgreSQL ``column = ANY(:array)``: one array parameter, whose generic plan
    (psycopg prepares a statement after five runs) still takes the unique index —
    unlike ``IN ($1 … $500)``, whose generic plan compared every row with every key (a
    fresh import of 20,000 rows ran at 323 rows/s) — and without rendering thousands
    of literals into the statement. On SQLite ``IN (SELECT value FROM json_each(:json))``:
    an expanding ``IN`` made SQLAlchemy name and process every one of 5,000 values.
    """
    name = f"among_{column.key}"
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(name, json.dumps(list(values)))).table_valued("value")
    return column.in_(select(listed.c.value))


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def bulk_insert(session: Session, table: Table, columns: dict[str, Any], count: int,
                cache: dict[Any, Any] | None = None) -> None:
    """``INSERT`` ``count`` rows into ``table`` with one driver ``executemany``,
    converting each distinct value of a column once. ``columns`` maps a column to its
    values: a list (one per row), or any other value for every row alike (a JSON list
    for every row is left to the column's default).

    Why not ``session.execute(insert(table), rows)``: SQLAlchemy converts every bound
    value of every row (a timestamp 13 times per imported post, the same empty JSON
    list 10,000 times); with five tables per post that was most of an import's time.
    Here the values are converted column by column, each distinct one once, and the
    rows zipped back for the driver. Columns left out get their default (a constant
    or a callable of no context, as every default in ``models`` is). ``cache``, shared
    between calls, keeps converted values by column type, so the same timestamp in
    four columns of three tables is converted once.
    """
    if not count:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup or compiled.binds)
    converted = []
    for name in names:
        process = table.c[name].type._cached_bind_processor(dialect)
        values = columns[name] if name in columns else _default(table, name)
        if name not in columns or not isinstance(values, list):  # one value for all rows
            converted.append([process(values) if process and values is not None
                              else values] * count)
            continue
        if process is not None:
            kind = repr(table.c[name].type)
            known = cache.setdefault(kind, {}) if cache is not None else {}
            values = _converted(values, process, known)
        converted.append(values)
    params: list[Any] = list(zip(*converted, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, row, strict=True)) for row in params]
    connection.exec_driver_sql(compiled.string, params)


def _converted(values: list[Any], process: Any, known: dict[Any, Any]) -> list[Any]:
    """``values`` converted by ``process``; ``known`` maps values already converted
    (hashable ones: strings, numbers, timestamps) to their conversion."""
    first = values[0]
    if values.count(first) == len(values):  # one value (a constant JSON, ``now``)
        return [None if first is None else process(first)] * len(values)
    if not isinstance(first, str | int | datetime | None):
        return [None if v is None else process(v) for v in values]
    for v in set(values).difference(known):
        known[v] = None if v is None else process(v)
    return [known[v] for v in values]


def _default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    return arg(None) if callable(arg) else arg
