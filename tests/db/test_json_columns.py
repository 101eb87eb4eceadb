"""JSON columns read back exactly what was written, on both databases: the engine's
decoder (orjson, the standard library for what orjson would refuse or change) never
turns a long integer into a float or loses a value ``json.dumps`` can write."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, Table, select

from socialhub.db.engine import make_engine

VALUES: list[Any] = [
    {"text": "héllo ✓", "nested": [1, 2.5, None, True, {"k": "v"}]},
    {"snowflake": 1234567890123456789},  # 19 digits, within 64 bits
    {"beyond_64_bits": 123456789012345678901234567890},
    {"negative": -9999999999999999999},
    {"as_text": "12345678901234567890123"},
    [],
    {},
    "plain string",
    0.1,
]


def _round_trip(url: str, values: list[Any]) -> list[Any]:
    table = Table("json_round_trip", MetaData(), Column("id", Integer, primary_key=True),
                  Column("value", JSON))
    engine = make_engine(url)
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": n, "value": v} for n, v in enumerate(values)])
        with engine.connect() as conn:
            return [v for (v,) in conn.execute(select(table.c.value).order_by(table.c.id))]
    finally:
        table.drop(engine)
        engine.dispose()


def test_json_columns_read_back_what_was_written(database_url: str) -> None:
    read = _round_trip(database_url, VALUES)
    assert read == VALUES
    assert isinstance(read[2]["beyond_64_bits"], int)
    assert isinstance(read[3]["negative"], int)


def test_a_nan_written_by_json_dumps_reads_back_on_sqlite(tmp_path: Path) -> None:
    # PostgreSQL's json type refuses NaN at the write; SQLite stores what json.dumps gave.
    (value,) = _round_trip(f"sqlite:///{tmp_path / 'nan.sqlite'}", [{"x": float("nan")}])
    assert math.isnan(value["x"])
