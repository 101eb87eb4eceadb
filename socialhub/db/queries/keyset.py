"""The WHERE condition of a keyset page: the rows strictly after a position.

A list's order is a sequence of (expression, descending) with the row id last, so
it is total; a position is the values of those expressions for the last row shown.
The condition is the usual expansion ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR …`` (``<``
for a descending key), written out rather than as a row-value comparison so that
mixed directions work on SQLite and PostgreSQL alike.

A column that can be NULL needs a key before it that tells NULL from not NULL (such
as ``CASE WHEN c IS NULL THEN 1 ELSE 0 END``): when the position's value is NULL
the column then only ties (``IS NULL``) and never orders, since every row of that
group has NULL there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

__all__ = ["Key", "OrderKey", "after_position"]

#: A position in a list: the values of its sort key for one row, the id last.
Key = tuple[Any, ...]

#: One expression of a list's order and whether it runs descending.
OrderKey = tuple[Any, bool]


def after_position(keys: Sequence[OrderKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """The rows strictly after the row whose sort key is ``values`` in the order ``keys``.

    Raises:
        ValueError: ``values`` and ``keys`` of different lengths.
    """
    if len(keys) != len(values):
        raise ValueError(f"a position of {len(values)} values for {len(keys)} keys")
    terms: list[ColumnElement[bool]] = []
    ties: list[ColumnElement[bool]] = []
    for (expr, descending), value in zip(keys, values, strict=True):
        if value is None:
            ties.append(expr.is_(None))
            continue
        step = expr < value if descending else expr > value
        terms.append(and_(*ties, step) if ties else step)
        ties.append(expr == value)
    return or_(*terms) if terms else false()
