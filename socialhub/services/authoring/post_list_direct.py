"""``posts list`` through the database driver alone: the page and its count.

The use cases of ``list_post_summaries`` and ``count_posts`` for a ``DirectCtx``
(``services.direct``), with the filters the direct read knows (the status; a
campaign or account filter goes through the hub). Same permission, same rows, same
order, same paging. Importing this module loads no SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries import posts_direct as queries
from socialhub.services.authoring.post_summaries import summaries_of, summary_page
from socialhub.services.context import DirectCtx, use_case
from socialhub.services.paging import Page, Window, fetch_size


@use_case(Permission.POSTS_READ)
def list_post_summaries_direct(ctx: DirectCtx, *, status: str | None = None,
                               limit: int | None = None,
                               offset: int = 0) -> list[dict[str, Any]]:
    """What ``scheduling.list_post_summaries`` answers with these filters and page.

    Raises:
        ValueError: a row the direct read cannot vouch for (``read_directly`` then
            answers None and the caller goes through the hub).
    """
    return summaries_of(queries.post_summary_rows_direct(ctx.conn, ctx.org_id, status=status,
                                                         offset=offset, limit=limit))


@use_case(Permission.POSTS_READ)
def post_summaries_page_direct(ctx: DirectCtx, window: Window, *,
                               status: str | None = None) -> Page[dict[str, Any]]:
    """What ``scheduling.post_summaries_page`` answers with this filter and window.

    Raises:
        ValueError: a row the direct read cannot vouch for (as
            :func:`list_post_summaries_direct`).
    """
    return summary_page(queries.post_summary_rows_direct(
        ctx.conn, ctx.org_id, status=status, offset=window.offset, limit=fetch_size(window),
        after=window.after), window)


@use_case(Permission.POSTS_READ)
def count_posts_direct(ctx: DirectCtx, *, status: str | None = None) -> int:
    """What ``posts.count_posts`` answers with this filter."""
    return queries.count_posts_direct(ctx.conn, ctx.org_id, status=status)
