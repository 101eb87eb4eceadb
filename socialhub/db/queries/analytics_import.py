"""The statements ``analytics import`` runs: which imported posts exist already, and
the bulk ``INSERT``s of new ones (post, variant, published delivery, snapshot, latest).

An imported post is an ordinary published delivery whose idempotency key is
``import:<key>`` (the key is the account and URL, or the account, instant and text
hash), so re-importing finds it instead of adding it again. New posts pass through a
temporary staging table (one ``executemany``, each distinct value converted once) and
fill the five tables by ``INSERT … SELECT``; their ids are allocated first
(:func:`new_ids`), so none is read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
)
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
                    now: datetime, *,
                    languages: Callable[[], Sequence[str | None]] | None = None) -> int:
    """Insert new imported posts, each one row of ``rows``: ``key``, ``name``,
    ``account_id``, ``text``, ``language`` (or None), ``url``, ``published_at`` and
    ``metrics`` (name → count or None), in the order given; returns how many.
    ``languages``, when given, is called once the posts are in (so it may still be
    working until then) and answers each row's language instead of ``language``.

    The rows go once into a temporary staging table (one ``executemany``; ``COPY`` on
    PostgreSQL), and each
    of the five tables is filled from it by one ``INSERT … SELECT``: the database
    copies the values itself, instead of the driver binding ~60 values a post into
    five statements (on SQLite that binding was more than half of an import's insert
    time; on PostgreSQL each bound row was a round of the server's statement work)."""
    n = len(rows)
    if not n:
        return 0
    posts, variants, deliveries = _table(Post), _table(Variant), _table(Delivery)
    metrics = list(rows[0]["metrics"])
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    # On PostgreSQL the stage takes each row's ids from the tables' sequences as it is
    # loaded (in the rows' order); on SQLite they are allocated here (``new_ids``).
    stage = _stage_table(metrics, postgres)
    stage.drop(connection, checkfirst=True)
    stage.create(connection)
    counts = zip(*map(itemgetter(*metrics), (r["metrics"] for r in rows)), strict=True)
    columns: dict[str, Any] = {
        "n": list(range(n)), "account_id": [r["account_id"] for r in rows],
        "name": [r["name"] for r in rows], "text": [r["text"] for r in rows],
        "language": [r.get("language") for r in rows], "url": [r["url"] for r in rows],
        "idempotency_key": [KEY_PREFIX + r["key"] for r in rows],
        "published_at": [r["published_at"] for r in rows],
        **dict(zip(metrics, map(list, counts), strict=True))}
    if postgres:
        _copy_into(session, stage, columns)
    else:
        columns |= {"post_id": new_ids(session, posts, n),
                    "variant_id": new_ids(session, variants, n),
                    "delivery_id": new_ids(session, deliveries, n)}
        bulk_insert(session, stage, columns, n)
    s = stage.c
    metric_columns = {m: s[m] for m in metrics}
    _fill_from_stage(session, posts, stage, {
        "id": s.post_id, "org_id": org_id, "name": s.name, "body": s.text,
        "status": "published", "created_at": now, "updated_at": now})
    if languages is not None:
        _set_stage_languages(session, stage, languages())
    _fill_from_stage(session, variants, stage, {
        "id": s.variant_id, "post_id": s.post_id, "account_id": s.account_id,
        "text": s.text, "scheduled_at": s.published_at, "language": s.language,
        "timezone": "UTC", "created_at": now, "updated_at": now})
    _fill_from_stage(session, deliveries, stage, {
        "id": s.delivery_id, "variant_id": s.variant_id, "account_id": s.account_id,
        "due_at": s.published_at, "next_attempt_at": s.published_at, "status": "published",
        "idempotency_key": s.idempotency_key, "remote_url": s.url,
        "published_at": s.published_at, "created_at": now, "updated_at": now})
    _fill_from_stage(session, _table(MetricSnapshot), stage, {
        "delivery_id": s.delivery_id, "captured_at": now, "raw": _IMPORT_RAW, **metric_columns})
    _fill_from_stage(session, _table(MetricLatest), stage, {
        "delivery_id": s.delivery_id, "source": "import", "first_captured_at": now,
        "captured_at": now, "snapshots": 1, **metric_columns})
    stage.drop(connection)
    return n


def _set_stage_languages(session: Session, stage: Table,
                         languages: Sequence[str | None]) -> None:
    """The stage's ``language`` of each row, in the rows' order."""
    given = [(code, n) for n, code in enumerate(languages) if code is not None]
    if not given:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # one statement, the pairs as two arrays
        codes, places = zip(*given, strict=True)
        connection.exec_driver_sql(
            f"UPDATE {stage.name} SET language = given.language FROM unnest(%s::text[], "
            f"%s::int[]) AS given(language, n) WHERE {stage.name}.n = given.n",
            (list(codes), list(places)))
    else:
        connection.exec_driver_sql(f"UPDATE {stage.name} SET language = ? WHERE n = ?", given)


def _stage_table(metrics: Sequence[str], sequences: bool) -> Table:
    """The temporary table an import's new posts pass through, one row per post
    (``n``: its place in the import), each column typed as the column it fills; with
    ``sequences``, its id columns default to the next value of each table's sequence."""
    posts, deliveries, snapshots = _table(Post), _table(Delivery), _table(MetricSnapshot)

    def new_id(name: str, table: str) -> Column[int]:
        default = (text(f"nextval(pg_get_serial_sequence('{table}', 'id'))")
                   if sequences else None)
        return Column(name, BigInteger, server_default=default)

    return Table(
        "import_stage", MetaData(),
        Column("n", Integer, primary_key=True, autoincrement=False),
        new_id("post_id", "posts"), new_id("variant_id", "variants"),
        new_id("delivery_id", "deliveries"),
        Column("account_id", Integer),
        Column("name", posts.c.name.type), Column("text", posts.c.body.type),
        Column("language", _table(Variant).c.language.type),
        Column("url", deliveries.c.remote_url.type),
        Column("idempotency_key", deliveries.c.idempotency_key.type),
        Column("published_at", deliveries.c.published_at.type),
        *(Column(m, snapshots.c[m].type) for m in metrics),
        prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def _copy_into(session: Session, table: Table, columns: dict[str, list[Any]]) -> None:
    """PostgreSQL: rows into ``table`` by ``COPY … FROM STDIN`` (``columns`` as for
    :func:`bulk_insert`, each value converted by its column's type)."""
    names = list(columns)
    rows = zip(*_converted_columns(session, table, columns, names), strict=True)
    raw: Any = session.connection().connection.dbapi_connection  # a psycopg connection
    quoted = ", ".join(f'"{name}"' for name in names)
    with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _fill_from_stage(session: Session, table: Table, stage: Table,
                     values: dict[str, Any]) -> None:
    """``INSERT INTO table … SELECT … FROM stage`` in the stage's order: ``values`` maps
    a column to a stage column or to one value for every row; other columns get their
    default (each default in ``models`` is a constant or a callable of no context)."""
    names, exprs = [], []
    for column in table.c:
        value = values[column.name] if column.name in values else _default(table, column.name)
        if value is None and column.name not in values:
            continue
        names.append(column.name)
        exprs.append(value if isinstance(value, ColumnElement)
                     else literal(value, type_=column.type))
    session.connection().execute(
        insert(table).from_select(names, select(*exprs).order_by(stage.c.n)))


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """SQLite: ``count`` ids for new rows of ``table`` (its integer ``id``), allocated
    before the rows are inserted, so nothing is read back after: the rowids after the
    largest, as SQLite itself allocates them (no table uses AUTOINCREMENT) — safe
    because every SQLite transaction here begins with ``BEGIN IMMEDIATE`` and so holds
    the write lock until it ends. (On PostgreSQL the stage takes them from the
    sequences.)"""
    if not count:
        return []
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


def bulk_insert(session: Session, table: Table, columns: dict[str, list[Any]],
                count: int) -> None:
    """``INSERT`` ``count`` rows into ``table`` with one driver ``executemany``,
    converting each distinct value of a column once. ``columns`` maps each column to
    its values, one per row.

    Why not ``session.execute(insert(table), rows)``: SQLAlchemy converts every bound
    value of every row (the same timestamp thousands of times). Here the values are
    converted column by column, each distinct one once, and the rows zipped back for
    the driver.
    """
    if not count:
        return
    connection = session.connection()
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
    names = list(compiled.positiontup or compiled.binds)
    params: list[Any] = list(zip(*_converted_columns(session, table, columns, names),
                                 strict=True))
    if not compiled.positional:
        params = [dict(zip(names, row, strict=True)) for row in params]
    connection.exec_driver_sql(compiled.string, params)


def _converted_columns(session: Session, table: Table, columns: dict[str, list[Any]],
                       names: list[str]) -> list[list[Any]]:
    """The values of each of ``names`` (``columns`` as for :func:`bulk_insert`),
    converted by the column's type for the driver."""
    dialect = session.get_bind().dialect
    converted = []
    for name in names:
        process = table.c[name].type._cached_bind_processor(dialect)
        values = columns[name]
        converted.append(values if process is None else _converted(values, process))
    return converted


def _converted(values: list[Any], process: Any) -> list[Any]:
    """``values`` converted by ``process``, each distinct hashable one (strings,
    numbers, timestamps) once."""
    first = values[0]
    if values.count(first) == len(values):  # one value (a constant JSON, ``now``)
        return [None if first is None else process(first)] * len(values)
    if not isinstance(first, str | int | datetime | None):
        return [None if v is None else process(v) for v in values]
    known = {v: None if v is None else process(v) for v in set(values)}
    return [known[v] for v in values]


def _default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    return arg(None) if callable(arg) else arg
