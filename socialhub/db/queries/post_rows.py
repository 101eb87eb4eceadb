"""What a page of post summaries is made of, as plain rows: shared by the read through
SQLAlchemy (``db.queries.posts``) and the one through the driver alone
(``db.queries.posts_direct``). Standard library only, so the driver's path loads
no SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SummaryRows:
    """What a page of post summaries is made of, read as plain rows (no ORM objects).

    ``posts``: id, name, status, body, tags, paid, created_at, updated_at,
    campaign_name, voice_name — in the list order. ``targets``: id, post_id, text,
    thread, media, first_comment, options, language, local_time, timezone,
    scheduled_at, and the platform and handle of its account, by id. ``deliveries``:
    id, status, attempts, next_attempt_at, remote_id, remote_url, last_error,
    variant_id of every delivery of those targets, oldest first. The JSON columns
    (``tags``, ``thread``, ``media``, ``options``) come as their JSON text, for
    ``json_reader`` to decode.
    """

    posts: list[Any]
    targets: list[Any]
    deliveries: list[Any]


def json_reader() -> Callable[[str | None], Any]:
    """A decoder for JSON column text (None for SQL NULL) that decodes each distinct
    flat value once (an empty list, a list of tags, a dict of plain values) and hands
    that same object out again: callers copy it (``list(…)``, ``dict(…)``) before
    giving it away. Values that hold lists or dicts are decoded afresh every time."""
    seen: dict[str, Any] = {}

    def read(text: str | None) -> Any:
        if text is None:
            return None
        try:
            return seen[text]
        except KeyError:
            value = json.loads(text)
            items = (value.values() if isinstance(value, dict)
                     else value if isinstance(value, list) else ())
            if not any(isinstance(item, list | dict) for item in items):
                seen[text] = value
            return value

    return read
