"""Reading and writing the inbox: items (inserted once per account and remote id), the
filtered list, one item and its conversation, the replies sent to items, and each
account's sync cursor. Written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, InboxCursor, InboxItem, User, Variant
from socialhub.db.queries.keyset import Key, OrderKey, after_position


@dataclass(frozen=True)
class ItemFilter:
    """What ``list_items`` keeps; None (or False) leaves a field unfiltered.

    ``archived`` False hides archived items (the default), True shows only them,
    None shows both.
    """

    platform: str | None = None
    account_id: int | None = None
    kinds: Collection[str] = ()
    unread: bool = False
    assignee: str | None = None
    unassigned: bool = False
    sentiment: str | None = None
    flag: str | None = None
    since: datetime | None = None
    archived: bool | None = False


def insert_new_items(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the items not stored yet (same account and remote id: skipped); their new ids.

    One ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` per batch on both databases,
    so two syncs racing on one account never duplicate an item nor fail.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(InboxItem).on_conflict_do_nothing(index_elements=["account_id", "remote_id"])
            .returning(InboxItem.id))
    return [int(i) for i in session.scalars(stmt, list(rows))]


def items_by_id(session: Session, ids: Collection[int]) -> list[InboxItem]:
    """The items with these ids, oldest first."""
    if not ids:
        return []
    return list(session.scalars(select(InboxItem).where(InboxItem.id.in_(list(ids)))
                                .order_by(InboxItem.received_at, InboxItem.id)))


def _filtered(org_id: int, f: ItemFilter) -> Any:
    q = select(InboxItem).where(InboxItem.org_id == org_id)
    if f.platform:
        q = q.where(InboxItem.platform == f.platform)
    if f.account_id is not None:
        q = q.where(InboxItem.account_id == f.account_id)
    if f.kinds:
        q = q.where(InboxItem.kind.in_(list(f.kinds)))
    if f.unread:
        q = q.where(InboxItem.read == false())
    if f.assignee:
        q = q.where(InboxItem.assignee == f.assignee)
    if f.unassigned:
        q = q.where(InboxItem.assignee.is_(None))
    if f.sentiment:
        q = q.where(InboxItem.sentiment == f.sentiment)
    if f.since is not None:
        q = q.where(InboxItem.received_at >= f.since)
    if f.archived is not None:
        q = q.where(InboxItem.archived == f.archived)
    return q


#: The inbox's order: newest first, ties by id (the newer first).
_INBOX_ORDER: list[OrderKey] = [(InboxItem.received_at, True), (InboxItem.id, True)]


def list_items(session: Session, org_id: int, f: ItemFilter, *, offset: int = 0,
               limit: int | None = None, after: Key | None = None) -> list[InboxItem]:
    """The organization's items matching ``f``, newest first (ties by id); after the
    position ``after`` (``(received_at, id)`` of the last item shown) when given."""
    q = _filtered(org_id, f).order_by(*(expr.desc() for expr, _ in _INBOX_ORDER))
    if after is not None:
        q = q.where(after_position(_INBOX_ORDER, after))
    if f.flag:
        # Flags are a short JSON list; filtering them in Python keeps one query for both
        # databases (JSON containment differs), and flagged items are few.
        items = [i for i in session.scalars(q) if f.flag in (i.flags or [])]
        return items[offset:None if limit is None else offset + limit]
    return list(session.scalars(q.offset(offset).limit(limit)))


def count_items(session: Session, org_id: int, f: ItemFilter) -> int:
    """How many of the organization's items match ``f``."""
    if f.flag:
        return len(list_items(session, org_id, f))
    sub = _filtered(org_id, f).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def item_in_org(session: Session, org_id: int, item_id: int) -> InboxItem | None:
    """The item ``item_id`` if it belongs to the organization, else None."""
    return session.scalar(select(InboxItem).where(InboxItem.id == item_id,
                                                  InboxItem.org_id == org_id))


def conversation_of(session: Session, item: InboxItem) -> list[InboxItem]:
    """The stored items of ``item``'s thread on its account, oldest first.

    Those sharing its conversation id, those it answers (by parent id) and those
    answering it.
    """
    keys = {k for k in (item.conversation_id, item.parent_id, item.remote_id) if k}
    return list(session.scalars(
        select(InboxItem).where(
            InboxItem.account_id == item.account_id,
            or_(InboxItem.conversation_id.in_(keys), InboxItem.remote_id.in_(keys),
                InboxItem.parent_id.in_(keys)))
        .order_by(InboxItem.received_at, InboxItem.id)))


def replies_to(session: Session, item_ids: Collection[int]) -> list[tuple[Delivery, str]]:
    """Our replies to these items: (delivery, the text sent), oldest first."""
    if not item_ids:
        return []
    rows = session.execute(
        select(Delivery, Variant.text).join(Variant, Variant.id == Delivery.variant_id)
        .where(Delivery.inbox_item_id.in_(list(item_ids)))
        .order_by(Delivery.created_at, Delivery.id))
    return [(d, str(text)) for d, text in rows]


def delivery_with_key(session: Session, key: str) -> Delivery | None:
    """The delivery whose idempotency key is ``key``, or None."""
    return session.scalar(select(Delivery).where(Delivery.idempotency_key == key))


def delivery_ids_by_remote(session: Session, account_id: int,
                           remote_ids: Collection[str]) -> dict[str, int]:
    """Our published deliveries on the account, by the remote id they published as."""
    if not remote_ids:
        return {}
    rows = session.execute(select(Delivery.remote_id, Delivery.id).where(
        Delivery.account_id == account_id, Delivery.remote_id.in_(list(remote_ids))))
    return {str(r): int(i) for r, i in rows}


def cursor_of(session: Session, account_id: int) -> InboxCursor | None:
    """The account's sync state, or None before its first sync."""
    return session.get(InboxCursor, account_id)


def cursor_for_update(session: Session, account_id: int) -> InboxCursor:
    """The account's sync state, created empty when missing (flushed)."""
    state = session.get(InboxCursor, account_id)
    if state is None:
        state = InboxCursor(account_id=account_id, cursor={}, failures=0)
        session.add(state)
        session.flush()
    return state


def accounts_due(session: Session, platforms: Collection[str], now: datetime, *,
                 account_ids: Collection[int] | None = None,
                 org_id: int | None = None) -> list[Account]:
    """Active accounts on ``platforms`` whose next sync is due (or never ran)."""
    q = (select(Account).outerjoin(InboxCursor, InboxCursor.account_id == Account.id)
         .where(Account.platform.in_(list(platforms)), Account.status == "active",
                or_(InboxCursor.next_sync_at.is_(None), InboxCursor.next_sync_at <= now)))
    if account_ids is not None:
        q = q.where(Account.id.in_(list(account_ids)))
    if org_id is not None:
        q = q.where(Account.org_id == org_id)
    return list(session.scalars(q.order_by(Account.id)))


def active_accounts_on(session: Session, org_id: int, platforms: Collection[str]) -> list[int]:
    """The ids of the organization's active accounts on ``platforms``, by id."""
    return [int(i) for i in session.scalars(
        select(Account.id).where(Account.org_id == org_id, Account.status == "active",
                                 Account.platform.in_(list(platforms))).order_by(Account.id))]


def sync_states(session: Session, org_id: int) -> list[tuple[Account, InboxCursor | None]]:
    """Every account of the organization with its sync state (None: never synced)."""
    rows = session.execute(
        select(Account, InboxCursor).outerjoin(InboxCursor,
                                               InboxCursor.account_id == Account.id)
        .where(Account.org_id == org_id).order_by(Account.platform, Account.handle))
    return [(a, c) for a, c in rows]


def known_logins(session: Session) -> set[str]:
    """Every ``users.login`` set (empty before teams)."""
    return {str(x) for x in session.scalars(select(User.login).where(User.login.is_not(None)))}


def latest_item_id(session: Session, org_id: int) -> int:
    """The highest item id in the organization (0 when empty): the TUI's cheap change check."""
    return session.scalar(select(func.max(InboxItem.id)).where(InboxItem.org_id == org_id)) or 0


def unread_counts(session: Session, org_id: int) -> dict[str, int]:
    """Unread, unarchived items per platform."""
    rows = session.execute(
        select(InboxItem.platform, func.count(InboxItem.id))
        .where(and_(InboxItem.org_id == org_id, InboxItem.read == false(),
                    InboxItem.archived == false()))
        .group_by(InboxItem.platform))
    return {str(p): int(n) for p, n in rows}
