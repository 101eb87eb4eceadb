"""What the TUI's inbox screen reads: the open items and the newest id (to notice new ones)."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries import inbox as queries
from socialhub.db.queries.inbox import ItemFilter
from socialhub.services.context import Ctx, use_case
from socialhub.services.inbox.items import list_inbox

#: How many items the screen shows (newest first); `inbox list --all` has the rest.
SCREEN_ROWS = 200


@use_case(Permission.INBOX_READ)
def screen_rows(ctx: Ctx, *, unread_only: bool = False) -> dict[str, Any]:
    """The newest unarchived items (only unread ones with ``unread_only``), the newest
    item id and how many match in all."""
    rows, total = list_inbox(ctx, ItemFilter(unread=unread_only), limit=SCREEN_ROWS)
    return {"rows": rows, "total": total,
            "latest": queries.latest_item_id(ctx.session, ctx.org_id)}
