"""A page of post summaries read through the driver alone (``db.direct``), SQLite only.

The statements of ``db.queries.posts.post_summary_rows`` and ``count_posts`` (with
the ``post_conditions`` of an organization and a status) written out as SQL, for
``posts list`` without SQLAlchemy and the models, whose loading was most of what a
``posts list --json --all`` of 10,000 posts cost. The rows come back in
``SummaryRows``' shape with the values SQLAlchemy would give (aware UTC datetimes,
booleans), so the same ``summaries_of`` builds both. Change one query, change the
other: ``tests/db/test_posts_direct.py`` holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from socialhub.db.direct import DirectConnection
from socialhub.db.queries.post_rows import SummaryRows

# The list order of db.queries.posts._in_list_order: earliest first scheduled target
# first, posts without a time last, ties by id.
_IN_LIST_ORDER = """
FROM posts AS p
LEFT OUTER JOIN (SELECT post_id, min(scheduled_at) AS first_at
                 FROM variants GROUP BY post_id) AS f ON f.post_id = p.id
{joins}
WHERE {where}
ORDER BY CASE WHEN f.first_at IS NULL THEN 1 ELSE 0 END, f.first_at, p.id
LIMIT :limit OFFSET :offset
"""
_POSTS = """
SELECT p.id, p.name, p.status, p.body, CAST(p.tags AS TEXT), p.paid, p.created_at,
       p.updated_at, c.name, vp.name
""" + _IN_LIST_ORDER.replace("{joins}", """
LEFT OUTER JOIN campaigns AS c ON c.id = p.campaign_id
LEFT OUTER JOIN voice_profiles AS vp ON vp.id = p.voice_id""")
_EVERY_ID = "SELECT p.id FROM posts AS p WHERE {where}"
_PAGE_IDS = "SELECT p.id" + _IN_LIST_ORDER.replace("{joins}", "")
_TARGETS = """
SELECT v.id, v.post_id, v.text, CAST(v.thread AS TEXT), CAST(v.media AS TEXT),
       v.first_comment, CAST(v.options AS TEXT), v.language, v.local_time, v.timezone,
       v.scheduled_at, a.platform, a.handle
FROM variants AS v JOIN accounts AS a ON a.id = v.account_id
WHERE v.post_id IN ({ids}) ORDER BY v.id
"""
_DELIVERIES = """
SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.remote_id, d.remote_url,
       d.last_error, d.variant_id
FROM deliveries AS d JOIN variants AS v ON v.id = d.variant_id
WHERE v.post_id IN ({ids}) ORDER BY d.id
"""
_COUNT = "SELECT count(p.id) FROM posts AS p WHERE {where}"

#: How SQLAlchemy writes a timestamp in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC).
_STORED_INSTANT_LENGTH = 26


def _where(org_id: int, status: str | None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of ``post_conditions(org_id, status=status)``, and its parameters."""
    if status:
        return "p.org_id = :org AND p.status = :status", {"org": org_id, "status": status}
    return "p.org_id = :org", {"org": org_id}


def _after(after: tuple[datetime | None, int] | None) -> tuple[str, dict[str, Any]]:
    """The condition of ``db.queries.posts._in_list_order``'s ``after`` (the posts after
    the position ``(first_at, id)``), and its parameters."""
    if after is None:
        return "", {}
    first_at, post_id = after
    if first_at is None:
        return " AND (f.first_at IS NULL AND p.id > :after_id)", {"after_id": post_id}
    stored = first_at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (" AND (f.first_at IS NULL OR f.first_at > :after_at"
            " OR (f.first_at = :after_at AND p.id > :after_id))",
            {"after_at": stored, "after_id": post_id})


def _sqlite_only(conn: DirectConnection) -> None:
    if not conn.sqlite:
        raise ValueError("the direct post list is written for SQLite")  # read_direct: None


def post_summary_rows_direct(conn: DirectConnection, org_id: int, *, status: str | None = None,
                             offset: int = 0, limit: int | None = None,
                             after: tuple[datetime | None, int] | None = None) -> SummaryRows:
    """What ``post_summary_rows`` answers for the organization's posts (with ``status``,
    if given) and this page (after the position ``after``, see
    ``db.queries.posts._in_list_order``), read through the driver in three statements.

    Raises:
        ValueError: not SQLite, or a timestamp not in the form SQLAlchemy writes
            (``db.direct.read_direct`` answers None then: the caller reads through
            SQLAlchemy instead).
    """
    _sqlite_only(conn)
    where, params = _where(org_id, status)
    past, more = _after(after)
    params |= {"limit": -1 if limit is None else limit, "offset": offset} | more
    posts = conn.rows(_POSTS.format(where=where + past), params)
    if not posts:
        return SummaryRows([], [], [])
    every = offset == 0 and limit is None and after is None
    ids = (_EVERY_ID if every else _PAGE_IDS).format(where=where + past)
    targets = conn.rows(_TARGETS.format(ids=ids), params)
    deliveries = conn.rows(_DELIVERIES.format(ids=ids), params)
    at = _instant_reader()
    return SummaryRows(
        [(pid, name, status_, body, tags, paid if paid is None else bool(paid), at(created),
          at(updated), campaign, voice)
         for (pid, name, status_, body, tags, paid, created, updated, campaign, voice) in posts],
        [(*row[:10], at(row[10]), row[11], row[12]) for row in targets],
        [(*row[:3], at(row[3]), *row[4:]) for row in deliveries])


def count_posts_direct(conn: DirectConnection, org_id: int, *,
                       status: str | None = None) -> int:
    """What ``count_posts`` answers for the organization's posts (with ``status``)."""
    _sqlite_only(conn)
    where, params = _where(org_id, status)
    return int(conn.rows(_COUNT.format(where=where), params)[0][0])


def _instant_reader() -> Callable[[str | None], datetime | None]:
    """SQLite's timestamp text as SQLAlchemy's ``UTCDateTime`` reads it: an aware UTC
    datetime (None for NULL).

    Parsed with its offset appended, which is ten times quicker than
    ``.replace(tzinfo=UTC)`` afterwards and gives the same value (``tzinfo`` is
    ``UTC`` itself).

    Raises (from the reader):
        ValueError: text not in the exact form SQLAlchemy writes, which its own parser
            might read otherwise.
    """
    parse = datetime.fromisoformat

    def read(text: str | None) -> datetime | None:
        if text is None:
            return None
        if len(text) != _STORED_INSTANT_LENGTH or text[10] != " ":
            raise ValueError(f"unexpected timestamp text {text!r}")
        return parse(text + "+00:00")

    return read
