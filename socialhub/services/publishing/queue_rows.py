"""The queue screen's rows: open deliveries, or every one."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.services.context import Ctx, use_case

# Cheap to import: the queue service (SQLAlchemy) is loaded on the first call.


@use_case(Permission.QUEUE_READ)
def queue_rows(ctx: Ctx, *, show_all: bool = False) -> list[dict[str, Any]]:
    """Deliveries for the queue screen: open ones, or every one with ``show_all``."""
    from socialhub.services.publishing.queue import list_queue

    return list_queue(ctx, statuses=["all"] if show_all else None)
