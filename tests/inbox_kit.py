"""Inbox items made quickly for list and paging tests: straight into the database, as a
sync would have stored them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from socialhub.db.models import Account, InboxItem
from socialhub.services.hub import Hub


def arrive(hub: Hub, i: int, received_at: datetime, *, author: str | None = None,
           text: str | None = None) -> None:
    """Store the comment ``r{i}`` ("hi {i}" from ``fan{i}``, or ``text`` from
    ``author``), received at ``received_at``, on the organization's first account."""
    with hub.context("cli") as ctx:
        account = ctx.session.scalar(select(Account).where(Account.org_id == ctx.org_id)
                                     .order_by(Account.id).limit(1))
        assert account is not None
        ctx.session.add(InboxItem(
            org_id=ctx.org_id, account_id=account.id, platform=account.platform,
            remote_id=f"r{i}", kind="comment", author_handle=author or f"fan{i}",
            text=f"hi {i}" if text is None else text,
            received_at=received_at))
