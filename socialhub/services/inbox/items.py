"""The inbox's use cases on stored items: list, show (with the conversation), archive,
assign, mark read or unread. Each change is a record change on the event bus
(``inbox_item.archived``, ``inbox_item.assigned``…), so the audit trail has it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.ai.sentiment import SENTIMENTS
from socialhub.core.inbox_flags import FLAGS
from socialhub.core.policy import Permission
from socialhub.db.models import Account, InboxItem
from socialhub.db.queries import accounts as account_queries
from socialhub.db.queries import inbox as queries
from socialhub.db.queries.inbox import ItemFilter
from socialhub.errors import NotFoundError, ValidationError
from socialhub.services.accounts.accounts import get_account
from socialhub.services.audit import record_event
from socialhub.services.context import Ctx, use_case
from socialhub.services.paging import INBOX, Page, Window, fetch_size, keyed_page

__all__ = ["FLAGS", "KINDS", "SENTIMENTS", "ItemFilter", "archive_item", "assign_item",
           "get_item", "inbox_filter", "inbox_status", "latest_item_id", "list_inbox",
           "mark_item", "show_item"]

#: Every kind of inbox item.
KINDS = ("comment", "mention", "reply", "quote", "message")


def _refs(session: Session, account_ids: set[int]) -> dict[int, str]:
    return account_queries.account_refs(session, account_ids)


def item_row(item: InboxItem, account: str) -> dict[str, Any]:
    """One item as plain data (what ``--json`` prints)."""
    return {"id": item.id, "account": account, "platform": item.platform, "kind": item.kind,
            "author": item.author_handle, "author_name": item.author_name, "text": item.text,
            "url": item.url, "received_at": item.received_at, "read": item.read,
            "archived": item.archived, "assignee": item.assignee,
            "sentiment": item.sentiment, "sentiment_score": item.sentiment_score,
            "flags": list(item.flags or []), "language": item.language,
            "remote_id": item.remote_id, "parent_id": item.parent_id,
            "conversation_id": item.conversation_id, "delivery_id": item.delivery_id}


@use_case(Permission.INBOX_READ)
def inbox_filter(ctx: Ctx, *, platform: str | None = None, account: str | None = None,
                 kinds: list[str] | None = None, unread: bool = False,
                 assignee: str | None = None, sentiment: str | None = None,
                 flag: str | None = None, since: datetime | None = None,
                 archived: bool | None = False) -> ItemFilter:
    """A checked filter from the front end's options (``assignee`` ``none``: unassigned).

    Raises:
        ValidationError: an unknown kind, sentiment or flag.
        NotFoundError: no such account.
    """
    for kind in kinds or []:
        if kind not in KINDS:
            raise ValidationError(f"unknown kind {kind!r}", hint=f"one of {', '.join(KINDS)}")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ValidationError(f"unknown sentiment {sentiment!r}",
                              hint=f"one of {', '.join(SENTIMENTS)}")
    if flag is not None and flag not in FLAGS:
        raise ValidationError(f"unknown flag {flag!r}", hint=f"one of {', '.join(FLAGS)}")
    account_id = get_account(ctx.session, ctx.org_id, account).id if account else None
    unassigned = assignee is not None and assignee.lower() == "none"
    return ItemFilter(platform=platform, account_id=account_id, kinds=tuple(kinds or ()),
                      unread=unread, assignee=None if unassigned else assignee,
                      unassigned=unassigned, sentiment=sentiment, flag=flag, since=since,
                      archived=archived)


@use_case(Permission.INBOX_READ)
def list_inbox(ctx: Ctx, f: ItemFilter, *, offset: int = 0,
               limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The items matching ``f``, newest first, and how many match in all."""
    page = inbox_page(ctx, f, Window(limit, offset))
    return page.items, page.total or 0


@use_case(Permission.INBOX_READ)
def inbox_page(ctx: Ctx, f: ItemFilter, window: Window) -> Page[dict[str, Any]]:
    """The page ``window`` of the items matching ``f`` (newest first, after the cursor's
    item), how many match in all, and the cursor of the next page when there is one."""
    items = queries.list_items(ctx.session, ctx.org_id, f, offset=window.offset,
                               limit=fetch_size(window), after=window.after)
    refs = _refs(ctx.session, {i.account_id for i in items})
    return keyed_page(items, window, INBOX, lambda i: (i.received_at, i.id),
                      lambda shown: [item_row(i, refs.get(i.account_id, "?")) for i in shown],
                      queries.count_items(ctx.session, ctx.org_id, f))


def get_item(session: Session, org_id: int, item_id: int) -> InboxItem:
    """The organization's item ``item_id``.

    Raises:
        NotFoundError: no such item in this organization.
    """
    item = queries.item_in_org(session, org_id, item_id)
    if item is None:
        raise NotFoundError(f"no inbox item {item_id}", hint="see `socialhub inbox list`")
    return item


@use_case(Permission.INBOX_READ)
def show_item(ctx: Ctx, item_id: int) -> dict[str, Any]:
    """One item with its whole stored conversation and our replies, oldest first.

    The conversation is every stored item of the thread (same conversation id, the
    post it answers, the posts answering it) plus each reply we sent, plus the posts
    above a reply that the platform reported with it (``context["thread"]``, entries
    with ``source`` ``thread``); each entry has ``role`` ``them`` or ``us``.
    """
    item = get_item(ctx.session, ctx.org_id, item_id)
    account = ctx.session.get(Account, item.account_id)
    ref = account.ref if account else "?"
    thread = queries.conversation_of(ctx.session, item)
    entries: list[dict[str, Any]] = [
        {**item_row(i, ref), "role": "them", "at": i.received_at} for i in thread]
    replies = queries.replies_to(ctx.session, [i.id for i in thread])
    for delivery, text in replies:
        entries.append({"role": "us", "author": account.handle if account else "?",
                        "text": text, "at": delivery.published_at or delivery.due_at,
                        "delivery_id": delivery.id, "status": delivery.status,
                        "in_reply_to": delivery.inbox_item_id, "url": delivery.remote_url})
    known = {e.get("remote_id") for e in entries} | {d.remote_id for d, _ in replies}
    entries += _thread_context(thread, known, account)
    entries.sort(key=lambda e: (_aware(e["at"]), 0 if e["role"] == "them" else 1))
    return {"item": item_row(item, ref), "conversation": entries}


def _aware(at: Any) -> datetime:
    """An entry's instant, comparable whatever its source (a stored column, a thread's text)."""
    if isinstance(at, str):
        from socialhub.platforms.timestamps import parse_timestamp

        at = parse_timestamp(at)
    if not isinstance(at, datetime):
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _thread_context(items: list[InboxItem], known: set[Any],
                    account: Account | None) -> list[dict[str, Any]]:
    """The parent posts the platform reported with the items (``context["thread"]``)
    that are neither stored items nor our replies: the rest of the conversation.

    Each entry has ``source`` ``thread``; ``role`` is ``us`` for the account's own posts.
    """
    ours = {account.handle.lstrip("@"), account.external_id} if account else set()
    entries: list[dict[str, Any]] = []
    for item in items:
        for post in (item.context or {}).get("thread") or []:
            uri = post.get("uri")
            if not uri or uri in known:
                continue
            known.add(uri)
            mine = post.get("did") in ours or post.get("author") in ours
            entries.append({"role": "us" if mine else "them", "source": "thread",
                            "id": None, "remote_id": uri, "author": post.get("author") or "?",
                            "text": str(post.get("text") or ""), "at": _aware(post.get("at")),
                            "status": "published" if mine else None})
    return entries


@use_case(Permission.INBOX_MANAGE)
def archive_item(ctx: Ctx, item_id: int, *, archived: bool = True) -> dict[str, Any]:
    """Archive an item (or bring it back with ``archived=False``); archiving marks it read."""
    item = get_item(ctx.session, ctx.org_id, item_id)
    if item.archived != archived:
        item.archived = archived
        if archived:
            item.read = True
        record_event(ctx.session, ctx.org_id, "archived" if archived else "unarchived",
                     "InboxItem", record_id=item.id, name=f"inbox item {item.id}",
                     change={"archived": archived})
    return item_row(item, _refs(ctx.session, {item.account_id}).get(item.account_id, "?"))


@use_case(Permission.INBOX_MANAGE)
def assign_item(ctx: Ctx, item_id: int, login: str | None) -> dict[str, Any]:
    """Assign an item to a person by login (None: unassign).

    The login is checked against ``users.login`` when any are recorded (teams);
    before teams any login is taken as given.

    Raises:
        ValidationError: logins are recorded and ``login`` is not one of them.
    """
    item = get_item(ctx.session, ctx.org_id, item_id)
    if login is not None:
        login = login.strip()
        if not login or len(login) > 200:
            raise ValidationError("a login is 1 to 200 characters")
        known = queries.known_logins(ctx.session)
        if known and login not in known:
            raise ValidationError(f"no member with login {login!r}",
                                  hint="known logins: " + ", ".join(sorted(known)[:10]))
    if item.assignee != login:
        before = item.assignee
        item.assignee = login
        record_event(ctx.session, ctx.org_id, "assigned", "InboxItem", record_id=item.id,
                     name=f"inbox item {item.id}", change={"assignee": [before, login]})
    return item_row(item, _refs(ctx.session, {item.account_id}).get(item.account_id, "?"))


@use_case(Permission.INBOX_MANAGE)
def mark_item(ctx: Ctx, item_id: int, *, read: bool) -> dict[str, Any]:
    """Mark an item read or unread."""
    item = get_item(ctx.session, ctx.org_id, item_id)
    if item.read != read:
        item.read = read
        record_event(ctx.session, ctx.org_id, "marked_read" if read else "marked_unread",
                     "InboxItem", record_id=item.id, name=f"inbox item {item.id}",
                     change={"read": read})
    return item_row(item, _refs(ctx.session, {item.account_id}).get(item.account_id, "?"))


@use_case(Permission.INBOX_READ)
def latest_item_id(ctx: Ctx) -> int:
    """The newest item's id (0: empty); the TUI polls it to see new items."""
    return queries.latest_item_id(ctx.session, ctx.org_id)


@use_case(Permission.INBOX_READ)
def inbox_status(ctx: Ctx) -> list[dict[str, Any]]:
    """Each account with an inbox: when it last synced, when next, its last error."""
    from socialhub.services.inbox.sync import inbox_platforms

    platforms = inbox_platforms()
    unread = queries.unread_counts(ctx.session, ctx.org_id)
    rows = []
    for account, state in queries.sync_states(ctx.session, ctx.org_id):
        if account.platform not in platforms:
            continue
        rows.append({"account": account.ref, "kinds": list(platforms[account.platform]),
                     "synced_at": state.synced_at if state else None,
                     "next_sync_at": state.next_sync_at if state else None,
                     "failures": state.failures if state else 0,
                     "last_error": state.last_error if state else None,
                     "unread_on_platform": unread.get(account.platform, 0)})
    return rows


def since_instant(text: str, zone: str, now: datetime) -> datetime:
    """The instant ``--since`` names: a day (``yesterday``, ``mon``, ``2026-12-01``: its start
    in ``zone``) or a time (``2026-12-01 09:00``, ``-2h``).

    Raises:
        ValidationError: neither a day nor a time.
    """
    from socialhub.core.when import parse_when
    from socialhub.core.when_relative import parse_day
    from socialhub.core.zoned import load_zone

    tz = load_zone(zone)
    try:
        day = parse_day(text, now.astimezone(tz).date())
    except ValidationError:
        return parse_when(text, zone, now=now).utc
    try:
        return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(now.tzinfo)
    except OverflowError:  # 0001-01-01 east of UTC starts before the calendar does
        raise ValidationError(f"{text!r}: a day out of range") from None
