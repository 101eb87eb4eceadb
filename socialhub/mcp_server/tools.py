"""What each MCP tool and resource does: one use case call on a ``Ctx``, as plain data.

These functions are the MCP front end's equivalent of a CLI command's body: they
parse what the agent sent, call the use cases (``socialhub.services``) and return
JSON-ready data; ``server.py`` gives them their names, schemas and annotations.
Nothing here checks a permission or writes an audit row: the use cases do.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from socialhub.services.context import Ctx
from socialhub.services.paging import CAMPAIGNS, INBOX, POSTS, Keyset, Page, Window, window

#: The largest page a list tool returns (an agent asks for the next one with the
#: ``next_cursor`` of the page before).
MAX_PAGE = 200


def plain(value: Any) -> Any:
    """``value`` as JSON values: datetimes and dates as ISO text, anything else as text."""
    return json.loads(json.dumps(value, default=_iso, ensure_ascii=False))


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def calendar(ctx: Ctx, *, start: str | None, days: int, account: str | None,
             zone: str | None) -> dict[str, Any]:
    """The scheduled targets and free slots from ``start`` (a day; today when None) for
    ``days`` days, times in ``zone`` (the configured display zone when None)."""
    from socialhub.errors import ValidationError
    from socialhub.services.accounts.accounts import get_account
    from socialhub.services.authoring.calendar import calendar_entries, view_range
    from socialhub.services.clock import display_zone
    from socialhub.services.when import load_zone, parse_day

    tz_name = zone or display_zone(ctx.settings)
    today = ctx.now().astimezone(load_zone(tz_name)).date()
    try:
        anchor = parse_day(start, today) if start else today
    except ValidationError as exc:
        raise ValidationError(f"start: {exc}") from None
    rng = view_range("agenda", anchor, days)
    account_id = get_account(ctx.session, ctx.org_id, account).id if account else None
    entries = calendar_entries(ctx, rng, tz_name, account_id=account_id)
    return {"zone": tz_name, "from": rng.start, "to": rng.end, "entries": entries}


def _window(keyset: Keyset, cursor: str | None, limit: int, offset: int) -> Window:
    """The page a list tool was asked for: at most ``limit`` rows after ``cursor`` (a
    ``next_cursor`` of ``keyset``'s list), the first ``offset`` of them skipped — as the
    CLI's ``--cursor`` and ``--offset`` combine.

    Raises:
        ValidationError: a cursor this list did not give out (malformed, changed, or
            another list's), in one line naming ``cursor``.
    """
    return window(limit, offset, after=keyset.decode(cursor, option="cursor"))


def _paged(key: str, page: Page[Any], total: int | None) -> dict[str, Any]:
    """A list tool's answer: the page's rows under ``key``, the list's length, the
    offset asked for and the cursor of the next page (None: this is the last one)."""
    return {key: page.items, "total": total, "offset": page.offset,
            "next_cursor": page.next_cursor}


def posts(ctx: Ctx, *, status: str | None, campaign: str | None, account: str | None,
          limit: int, cursor: str | None, offset: int) -> dict[str, Any]:
    """A page of posts matching the filters, soonest first, how many match in all, and
    the cursor of the next page."""
    from socialhub.services.authoring.posts import count_posts
    from socialhub.services.authoring.scheduling import post_summaries_page

    win = _window(POSTS, cursor, limit, offset)
    page = post_summaries_page(ctx, win, status=status, campaign=campaign, account=account)
    return _paged("posts", page, count_posts(ctx, status=status, campaign=campaign,
                                             account=account))


def post(ctx: Ctx, ref: str) -> dict[str, Any]:
    """One post: each target's text, time and delivery, and its review state and thread."""
    from socialhub.services.authoring.posts import get_post
    from socialhub.services.authoring.review import post_thread
    from socialhub.services.authoring.scheduling import post_summary

    review = post_thread(ctx, ref)
    return {**post_summary(ctx.session, get_post(ctx.session, ctx.org_id, ref)),
            "review": review}


def accounts(ctx: Ctx) -> dict[str, Any]:
    """The organization's accounts with their status and token status (never secrets)."""
    from socialhub.services.accounts.overview import account_rows

    return {"accounts": account_rows(ctx)}


def campaigns(ctx: Ctx, *, limit: int, cursor: str | None, offset: int) -> dict[str, Any]:
    """A page of campaigns, how many there are, and the cursor of the next page."""
    from socialhub.services.authoring.campaigns import campaigns_page, count_campaigns

    page = campaigns_page(ctx, _window(CAMPAIGNS, cursor, limit, offset))
    return _paged("campaigns", page, count_campaigns(ctx))


def voices(ctx: Ctx) -> dict[str, Any]:
    """The voice profiles, in short (the default one marked)."""
    from socialhub.services.ai.voices import list_voices, voice_summary

    return {"voices": [voice_summary(v) for v in list_voices(ctx)]}


def voice(ctx: Ctx, name: str) -> dict[str, Any]:
    """A voice profile: what a person declared, what training learned, in plain words."""
    from socialhub.services.ai.voices import show_voice

    return show_voice(ctx, name)


def analytics(ctx: Ctx, *, days: int, account: str | None) -> dict[str, Any]:
    """The analytics overview of the last ``days`` days (totals, rates, best posts)."""
    from socialhub.services.analytics.dashboard import dashboard

    return dashboard(ctx, days=days, account=account)


def inbox(ctx: Ctx, *, platform: str | None, account: str | None, unread: bool,
          limit: int, cursor: str | None, offset: int) -> dict[str, Any]:
    """A page of inbox items (mentions, replies, messages), newest first, how many match
    in all, and the cursor of the next page."""
    from socialhub.services.inbox.items import inbox_filter, inbox_page

    win = _window(INBOX, cursor, limit, offset)
    f = inbox_filter(ctx, platform=platform, account=account, unread=unread)
    page = inbox_page(ctx, f, win)
    return _paged("items", page, page.total)


def approvals(ctx: Ctx) -> dict[str, Any]:
    """The posts waiting for a reviewer, longest waiting first."""
    from socialhub.services.authoring.review import approvals_queue

    return {"posts": approvals_queue(ctx)}


def draft(ctx: Ctx, *, review: bool, body: str, targets: list[str],
          texts: dict[str, str] | None, name: str | None, campaign: str | None,
          voice: str | None, tags: list[str] | None, note: str | None) -> dict[str, Any]:
    """A new post; with ``review`` it waits for approval (``pending_approval``)."""
    from socialhub.services.authoring.proposals import propose_post

    return propose_post(ctx, body=body, targets=targets, texts=texts, name=name,
                        campaign=campaign, voice=voice, tags=tags, note=note, review=review)


def update(ctx: Ctx, *, review: bool, ref: str, body: str | None,
           texts: dict[str, str] | None, add_targets: list[str] | None,
           remove_targets: list[str] | None, tags: list[str] | None,
           campaign: str | None, note: str | None) -> dict[str, Any]:
    """A changed post; with ``review`` only one not yet approved or scheduled, sent back
    to review."""
    from socialhub.services.authoring.proposals import revise_proposal

    return revise_proposal(ctx, ref, body=body, texts=texts, add_targets=add_targets,
                           remove_targets=remove_targets, tags=tags, campaign=campaign,
                           note=note, review=review)


def submit(ctx: Ctx, ref: str, comment: str | None) -> dict[str, Any]:
    """The post submitted for approval; its review state after."""
    from socialhub.services.authoring.review import submit_post

    return submit_post(ctx, ref, comment=comment)


def comment(ctx: Ctx, ref: str, text: str) -> dict[str, Any]:
    """A comment added to the post's review thread."""
    from socialhub.services.authoring.review import comment_post

    return comment_post(ctx, ref, text)
