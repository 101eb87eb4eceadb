"""``links list`` and ``links show``: an organization's short links and their clicks."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries import accounts as account_queries
from socialhub.db.queries import links as queries
from socialhub.db.queries.links import LinkRow
from socialhub.errors import NotFoundError
from socialhub.services.context import Ctx, use_case
from socialhub.services.paging import LINKS, Page, Window, fetch_size, keyed_page


def _row(ctx: Ctx, link: LinkRow, accounts: dict[int, str]) -> dict[str, Any]:
    return {"code": link.code, "short_url": _short(ctx, link.code), "url": link.url,
            "target": link.target, "platform": link.platform,
            "account": accounts.get(link.account_id or 0), "post": link.post,
            "campaign": link.campaign, "created_at": link.created_at, "clicks": link.clicks}


def _short(ctx: Ctx, code: str) -> str | None:
    base = ctx.settings.links.short_base_url
    return f"{base.rstrip('/')}/l/{code}" if base else None


def _accounts(ctx: Ctx) -> dict[int, str]:
    return {a.id: a.ref for a in account_queries.accounts_of(ctx.session, ctx.org_id)}


@use_case(Permission.ANALYTICS_READ)
def list_links(ctx: Ctx, *, campaign: str | None = None, post: str | None = None,
               limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """The organization's short links, newest first, with their clicks in all (people
    only), narrowed to one campaign or one post by name; ``offset`` skipped, at most
    ``limit`` (None: every one)."""
    return links_page(ctx, Window(limit, offset), campaign=campaign, post=post).items


@use_case(Permission.ANALYTICS_READ)
def links_page(ctx: Ctx, window: Window, *, campaign: str | None = None,
               post: str | None = None) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`list_links` (after the cursor's link), with the
    cursor of the next page when there is one; not counted."""
    accounts = _accounts(ctx)
    rows = queries.links_of_org(ctx.session, ctx.org_id, campaign=campaign, post=post,
                                limit=fetch_size(window), offset=window.offset,
                                after=window.after)
    return keyed_page(rows, window, LINKS, lambda link: (link.created_at, link.id),
                      lambda shown: [_row(ctx, link, accounts) for link in shown], None)


@use_case(Permission.ANALYTICS_READ)
def count_links(ctx: Ctx, *, campaign: str | None = None, post: str | None = None) -> int:
    """How many links ``list_links`` would list with no limit."""
    return queries.count_links(ctx.session, ctx.org_id, campaign=campaign, post=post)


@use_case(Permission.ANALYTICS_READ)
def show_link(ctx: Ctx, code: str) -> dict[str, Any]:
    """One short link: its target, its clicks per day and in all, and per platform the
    clicks of the same link in the same post.

    Raises:
        NotFoundError: the organization has no short link ``code``.
    """
    link = queries.link_named(ctx.session, ctx.org_id, code)
    if link is None:
        raise NotFoundError(f"no short link {code!r}", hint="see `socialhub links list`")
    out = _row(ctx, link, _accounts(ctx))
    out["by_day"] = [{"day": day.isoformat(), "clicks": n}
                     for day, n in queries.clicks_by_day(ctx.session, ctx.org_id, link.id)]
    # The same link of the same post on every network it went to.
    out["by_platform"] = (queries.clicks_by_platform(ctx.session, ctx.org_id, link.post_id,
                                                     link.url_hash)
                          if link.post_id is not None else {link.platform: link.clicks})
    return out
