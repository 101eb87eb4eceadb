"""``column IN (a list)`` whose SQL text is the same whatever the list's length.

SQLAlchemy's expanding ``IN`` writes one placeholder per item, so a list of 12 and a
list of 13 are two statements: on PostgreSQL each length is parsed and planned anew
(half a millisecond for a four-table join, more than running it) and never becomes one
of psycopg's prepared statements. Bound as one array (``= ANY(:ids)``) the statement
is prepared once per connection and its plan reused. SQLite keeps the expanding
``IN``: it has no arrays, and preparing there costs microseconds.

A prepared statement is planned once for any values (a generic plan), so a constant
beside such a list must be written into the text (:func:`constant`): as a parameter,
``status <> $2`` looks to the planner as if it could exclude the most common status,
and it scanned every delivery instead of looking up the dozen asked for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, all_, any_, bindparam, literal
from sqlalchemy.sql.elements import ColumnElement


def one_of(column: ColumnElement[Any], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """``column`` is one of the values bound as ``name`` (a list; empty matches nothing)."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def none_of(column: ColumnElement[Any], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """``column`` is none of the values bound as ``name`` (a list; empty matches every row)."""
    if postgres:
        return column != all_(bindparam(name, type_=ARRAY(column.type)))
    return column.not_in(bindparam(name, expanding=True))


def constant(value: str, *, postgres: bool) -> ColumnElement[str]:
    """``value`` written into the statement's text on PostgreSQL, where the planner of a
    reused plan can see it; a parameter on SQLite, which plans every execution anyway."""
    return literal(value, literal_execute=postgres)
