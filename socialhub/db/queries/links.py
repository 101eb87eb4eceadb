"""Short links and their daily click counts: the statements of the links context.

The redirect's reads (``link_by_code``) and the click flush (``add_clicks``) are
on the daemon's hot path; they are plain Core statements built once. The
upsert of ``add_clicks`` is ``INSERT … ON CONFLICT (link_id, day) DO UPDATE SET
count = count + excluded.count`` on both databases (SQLite ≥ 3.24 and
PostgreSQL speak the same clause), so concurrent daemons add up, never overwrite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from socialhub.db.models import Campaign, LinkClickDaily, Post, ShortLink
from socialhub.db.queries.keyset import Key, after_position

_L = cast(Table, ShortLink.__table__)
_K = cast(Table, LinkClickDaily.__table__)
#: A SELECT narrowed by ``_narrowed`` keeps its own row type.
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
_BY_CODE = select(_L.c.id, _L.c.org_id, _L.c.target).where(_L.c.code == bindparam("code"))


@dataclass(frozen=True)
class LinkTarget:
    """What the redirect needs of a short link."""

    id: int
    org_id: int
    target: str


def link_by_code(session: Session, code: str) -> LinkTarget | None:
    """The short link with ``code`` (any organization: the code is global), or None."""
    row = session.connection().execute(_BY_CODE, {"code": code}).one_or_none()
    return None if row is None else LinkTarget(row.id, row.org_id, row.target)


def newest_links(session: Session, limit: int) -> list[tuple[str, LinkTarget]]:
    """``(code, target)`` of the newest ``limit`` short links of every organization (the
    redirect's cache, filled at start)."""
    rows = session.connection().execute(
        select(_L.c.code, _L.c.id, _L.c.org_id, _L.c.target).order_by(_L.c.id.desc())
        .limit(limit))
    return [(r.code, LinkTarget(r.id, r.org_id, r.target)) for r in rows]


def link_for(session: Session, variant_id: int, url_hash: str) -> ShortLink | None:
    """The short link already made for the link ``url_hash`` of variant ``variant_id``."""
    return session.scalars(select(ShortLink).where(ShortLink.variant_id == variant_id,
                                                   ShortLink.url_hash == url_hash)).first()


def code_taken(session: Session, code: str) -> bool:
    """Whether ``code`` is in use (by any organization)."""
    return session.scalar(select(_L.c.id).where(_L.c.code == code)) is not None


def add_clicks(session: Session, counts: Iterable[tuple[int, int, date, int]]) -> int:
    """Add ``(org_id, link_id, day, n)`` to the daily counts in one statement; rows written.

    A link that has been deleted meanwhile would fail the foreign key: callers
    take their counts from links they just read.
    """
    rows = [{"org_id": o, "link_id": link, "day": d, "count": n} for o, link, d, n in counts
            if n > 0]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert: Any = (postgresql.insert(_K) if dialect == "postgresql" else sqlite.insert(_K))
    stmt = insert.on_conflict_do_update(
        index_elements=[_K.c.link_id, _K.c.day],
        set_={"count": _K.c.count + insert.excluded.count})
    session.connection().execute(stmt, rows)
    return len(rows)


@dataclass(frozen=True)
class LinkRow:
    """One short link with what it belongs to and its clicks in all."""

    id: int
    code: str
    url: str
    target: str
    platform: str
    post: str | None
    campaign: str | None
    account_id: int | None
    created_at: Any
    clicks: int
    post_id: int | None = None
    url_hash: str = ""


def _rows(session: Session, org_id: int, *, campaign: str | None = None,
          post: str | None = None, code: str | None = None, limit: int | None = None,
          offset: int = 0, after: Key | None = None) -> list[LinkRow]:
    total = (select(_K.c.link_id, func.sum(_K.c.count).label("clicks"))
             .where(_K.c.org_id == org_id).group_by(_K.c.link_id).subquery())
    stmt = (select(ShortLink.id, ShortLink.code, ShortLink.url, ShortLink.target,
                   ShortLink.platform, Post.name.label("post"),
                   Campaign.name.label("campaign"), ShortLink.account_id,
                   ShortLink.created_at, func.coalesce(total.c.clicks, 0).label("clicks"),
                   ShortLink.post_id, ShortLink.url_hash)
            .outerjoin(Post, Post.id == ShortLink.post_id)
            .outerjoin(Campaign, Campaign.id == Post.campaign_id)
            .outerjoin(total, total.c.link_id == ShortLink.id)
            .where(ShortLink.org_id == org_id))
    stmt = _narrowed(stmt, campaign, post, code)
    if after is not None:
        stmt = stmt.where(after_position(
            [(ShortLink.created_at, True), (ShortLink.id, True)], after))
    stmt = (stmt.order_by(ShortLink.created_at.desc(), ShortLink.id.desc())
            .offset(offset).limit(limit))
    return [LinkRow(r.id, r.code, r.url, r.target, r.platform, r.post, r.campaign,
                    r.account_id, r.created_at, int(r.clicks or 0), r.post_id, r.url_hash)
            for r in session.execute(stmt)]


def _narrowed(stmt: _S, campaign: str | None, post: str | None, code: str | None) -> _S:
    if campaign is not None:
        stmt = stmt.where(Campaign.name == campaign)
    if post is not None:
        stmt = stmt.where(Post.name == post)
    if code is not None:
        stmt = stmt.where(ShortLink.code == code)
    return stmt


def links_of_org(session: Session, org_id: int, *, campaign: str | None = None,
                 post: str | None = None, limit: int | None = None,
                 offset: int = 0, after: Key | None = None) -> list[LinkRow]:
    """The organization's short links, newest first (ties by id), narrowed to a campaign
    or a post (by name), each with its clicks in all; after the position ``after``
    (``(created_at, id)`` of the last link shown) when given, ``offset`` skipped, at most
    ``limit``."""
    return _rows(session, org_id, campaign=campaign, post=post, limit=limit, offset=offset,
                 after=after)


def count_links(session: Session, org_id: int, *, campaign: str | None = None,
                post: str | None = None) -> int:
    """How many links ``links_of_org`` would list with no limit."""
    stmt = (select(func.count(ShortLink.id))
            .outerjoin(Post, Post.id == ShortLink.post_id)
            .outerjoin(Campaign, Campaign.id == Post.campaign_id)
            .where(ShortLink.org_id == org_id))
    return session.scalar(_narrowed(stmt, campaign, post, None)) or 0


def link_named(session: Session, org_id: int, code: str) -> LinkRow | None:
    """The organization's short link ``code`` with its clicks in all, or None."""
    found = _rows(session, org_id, code=code)
    return found[0] if found else None


def clicks_by_day(session: Session, org_id: int, link_id: int) -> list[tuple[date, int]]:
    """The daily click counts of one link, oldest day first."""
    rows = session.execute(select(_K.c.day, _K.c.count.label("n"))
                           .where(_K.c.org_id == org_id, _K.c.link_id == link_id)
                           .order_by(_K.c.day))
    return [(r.day, int(r.n)) for r in rows]


def clicks_by_platform(session: Session, org_id: int, post_id: int, url_hash: str
                       ) -> dict[str, int]:
    """Clicks in all per platform of the short links one post made for one link as
    written (one per variant that carries it)."""
    rows = session.execute(
        select(ShortLink.platform, func.coalesce(func.sum(_K.c.count), 0).label("n"))
        .outerjoin(_K, _K.c.link_id == ShortLink.id)
        .where(ShortLink.org_id == org_id, ShortLink.post_id == post_id,
               ShortLink.url_hash == url_hash)
        .group_by(ShortLink.platform).order_by(ShortLink.platform))
    return {r.platform: int(r.n) for r in rows}


def clicks_by_post_account(session: Session, org_id: int, post_ids: Sequence[int]
                           ) -> dict[tuple[int, int], int]:
    """First-party clicks in all per ``(post_id, account_id)`` of the posts ``post_ids``."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(ShortLink.post_id, ShortLink.account_id, func.sum(_K.c.count).label("n"))
        .join(_K, _K.c.link_id == ShortLink.id)
        .where(ShortLink.org_id == org_id, ShortLink.post_id.in_(list(post_ids)))
        .group_by(ShortLink.post_id, ShortLink.account_id))
    return {(int(r.post_id), int(r.account_id)): int(r.n) for r in rows
            if r.post_id is not None and r.account_id is not None}
