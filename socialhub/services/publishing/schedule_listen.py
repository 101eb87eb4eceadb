"""Where the daemon LISTENs for schedule changes: the PostgreSQL connection string."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def listen_conninfo(sqlalchemy_url: str) -> str:
    """The libpq connection string (password included) for a PostgreSQL SQLAlchemy URL."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
