"""A post's summary (``posts list``, ``posts show``, the API, the TUI) built from plain
values, and a page of them from ``SummaryRows``.

Shared by the read through SQLAlchemy (``scheduling.list_post_summaries``,
``scheduling.post_summaries``) and the one through the driver alone
(``authoring.post_list_direct``), so the two cannot drift. Standard library only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialhub.db.queries.post_rows import SummaryRows, json_reader
from socialhub.services.paging import POSTS, Page, Window

# The three builders below take plain values, not objects: the list path feeds them
# unpacked rows (attribute access on 10,000 rows cost more than everything else).


def delivery_data(id_: int, status: str, attempts: int, next_attempt_at: datetime | None,
                  remote_id: str | None, remote_url: str | None,
                  last_error: str | None) -> dict[str, Any]:
    """A delivery as a target's summary shows it."""
    return {"id": id_, "status": status, "attempts": attempts,
            "next_attempt_at": next_attempt_at, "remote_id": remote_id,
            "remote_url": remote_url, "last_error": last_error}


def target_data(platform: str, handle: str, text: str | None, thread: Any, media: Any,
                first_comment: str | None, options: Any, language: str | None,
                local_time: str | None, timezone: str | None, scheduled_at: datetime | None,
                delivery: dict[str, Any] | None) -> dict[str, Any]:
    """A target as summaries show it (``delivery``: its latest delivery's data)."""
    return {
        "account": f"{platform}:@{handle}",
        "platform": platform,
        "text": text,
        "thread": list(thread or []),
        "media": list(media or []),
        "first_comment": first_comment,
        "options": dict(options or {}),
        "language": language,
        "at": f"{local_time} {timezone}" if local_time else None,
        "scheduled_at": scheduled_at,
        "delivery": delivery,
    }


def post_data(id_: int, name: str, status: str, body: str | None, campaign: str | None,
              voice: str | None, tags: Any, paid: bool, targets: list[dict[str, Any]],
              created_at: datetime, updated_at: datetime) -> dict[str, Any]:
    """A post's summary: its own fields, its campaign's and voice's names, its targets
    (lists copied, so callers may change what they are given)."""
    return {
        "id": id_, "name": name, "status": status, "body": body,
        "campaign": campaign, "voice": voice,
        "tags": list(tags or []), "paid": paid, "targets": targets,
        "created_at": created_at, "updated_at": updated_at,
    }


def summaries_of(rows: SummaryRows) -> list[dict[str, Any]]:
    """The summary of each post of ``rows``, in their order, each target with its latest
    delivery (the JSON columns decoded by one ``json_reader``)."""
    read = json_reader()
    latest = {d[7]: d for d in rows.deliveries}  # oldest first: the latest wins
    targets: dict[int, list[dict[str, Any]]] = {p[0]: [] for p in rows.posts}
    for (vid, post_id, text, thread, media, first_comment, options, language, local_time,
         timezone, scheduled_at, platform, handle) in rows.targets:
        live = latest.get(vid)
        targets[post_id].append(target_data(
            platform, handle, text, read(thread), read(media), first_comment, read(options),
            language, local_time, timezone, scheduled_at,
            None if live is None else delivery_data(*live[:7])))
    return [post_data(pid, name, status_, body, campaign_name, voice_name, read(tags), paid,
                      targets[pid], created_at, updated_at)
            for (pid, name, status_, body, tags, paid, created_at, updated_at, campaign_name,
                 voice_name) in rows.posts]


def summary_page(rows: SummaryRows, window: Window) -> Page[dict[str, Any]]:
    """The page of post summaries ``rows`` holds, read with one post more than
    ``window.limit``: at most ``limit`` of them, and when the extra one came back the
    cursor after the last shown (its earliest scheduled time and id: the list's key)."""
    posts = rows.posts
    cursor = None
    if window.limit is not None and len(posts) > window.limit:
        posts = posts[:window.limit]
        keep = {p[0] for p in posts}
        last = posts[-1][0]
        times = [t[10] for t in rows.targets if t[1] == last and t[10] is not None]
        cursor = POSTS.encode((min(times) if times else None, last))
        rows = SummaryRows(posts, [t for t in rows.targets if t[1] in keep], rows.deliveries)
    return Page(summaries_of(rows), None, window.offset, cursor, window.after is not None)
