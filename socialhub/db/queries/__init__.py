"""Reads and hot-path SQL: plain functions over a Session (or a driver connection).

One module per context. A query takes a Session plus parameters and returns
rows or models; business rules, audit rows and events stay in the services.
This package and ``db.queries.calendar`` import no SQLAlchemy at module level,
so the TUI's quick first paint can use the direct read.
"""
