"""What the audit trail records of a post: its fields and each target's text and time.

A use case takes :func:`post_state` before and after it changes a post and records
``audit.changes(before, after)``: only the fields that changed, each with its
before and after. Targets are flattened to ``<account>.text`` and ``<account>.at``
(the local time and zone), so adding, dropping or rescheduling one target shows
as exactly that.
"""

from __future__ import annotations

from typing import Any

from socialhub.db.models import Post

POST_FIELDS = ("name", "body", "tags", "paid", "status")


def post_state(post: Post) -> dict[str, Any]:
    """A post as the audit trail compares it: name, body, tags, paid, status, campaign
    and voice names, and per target account its text and local time."""
    state: dict[str, Any] = {f: getattr(post, f) for f in POST_FIELDS}
    state["tags"] = list(post.tags or [])
    state["campaign"] = post.campaign.name if post.campaign is not None else None
    state["voice"] = post.voice.name if post.voice is not None else None
    for v in post.variants:
        ref = v.account.ref
        state[f"{ref}.text"] = v.text
        if v.thread:
            state[f"{ref}.thread"] = list(v.thread)
        state[f"{ref}.at"] = f"{v.local_time} {v.timezone}" if v.local_time else None
    return state
