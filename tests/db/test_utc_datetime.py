"""Timestamps are stored the same however they are written: the fast SQLite bind of
``UTCDateTime`` gives exactly the text SQLAlchemy's own ``DATETIME`` would store, so
rows written before and after it compare and sort as one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, select
from sqlalchemy.dialects import sqlite

from socialhub.db.types import UTCDateTime

INSTANTS = [
    datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(2026, 3, 4, 5, 6, 7, 123, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(999, 1, 1, 12, tzinfo=UTC),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_sqlite_stores_the_text_sqlalchemys_datetime_would(instant: datetime) -> None:
    dialect = sqlite.dialect()
    ours = UTCDateTime()._cached_bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    naive_utc = instant.astimezone(UTC).replace(tzinfo=None)
    assert ours(instant) == theirs(naive_utc)
    assert ours(None) is None


def test_a_naive_timestamp_is_refused_on_sqlite() -> None:
    process = UTCDateTime()._cached_bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))


def test_written_instants_read_back_equal_and_in_order() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime()))
    engine = create_engine("sqlite://")
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": n, "at": at} for n, at in enumerate(INSTANTS)])
        read = conn.execute(select(table.c.id, table.c.at).order_by(table.c.at)).all()
    assert [at for _, at in read] == sorted(INSTANTS)
    assert all(at.tzinfo is UTC for _, at in read)
