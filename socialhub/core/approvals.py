"""Approvals, the pure part: is a post's approval required, and is it still valid.

An approval holds for the content that was approved: ``content_digest`` hashes
what a post would publish (each target's account, text, thread, media, first
comment and options), so any edit gives another digest and the approval lapses.
The services store the digest when a reviewer approves; the scheduling use
cases and the daemon compare it with the digest of the content as it is now.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

#: The values of the ``approvals`` setting (organization settings and campaigns).
Approvals = Literal["off", "required"]
APPROVAL_MODES: tuple[str, ...] = ("off", "required")

#: The fields of one target that are published; together they are the content approved.
CONTENT_FIELDS = ("account_id", "text", "thread", "media", "first_comment", "options")


def content_digest(targets: Iterable[Mapping[str, Any]]) -> str:
    """A SHA-256 hex digest of a post's publishable content.

    ``targets`` are mappings with the keys of ``CONTENT_FIELDS`` (missing keys count as
    None); their order does not matter, every value does.
    """
    rows = sorted(json.dumps(_normal(t), sort_keys=True, default=str, ensure_ascii=False)
                  for t in targets)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _normal(target: Mapping[str, Any]) -> dict[str, Any]:
    # An empty thread, media list or options may be stored as NULL or as empty JSON.
    row = {k: target.get(k) for k in CONTENT_FIELDS}
    row["thread"] = list(row["thread"] or [])
    row["media"] = list(row["media"] or [])
    row["options"] = dict(row["options"] or {})
    return row


def approvals_required(org_settings: Mapping[str, Any] | None,
                       campaign_approvals: str | None) -> bool:
    """Whether a post needs an approval before it is scheduled or sent.

    The post's campaign decides when it says ``off`` or ``required``; otherwise the
    organization's ``approvals`` setting does (off when unset).
    """
    if campaign_approvals in APPROVAL_MODES:
        return campaign_approvals == "required"
    return (org_settings or {}).get("approvals") == "required"


def approval_valid(approved_digest: str | None, current_digest: str) -> bool:
    """Whether an approval (its stored digest) still covers the current content."""
    return approved_digest is not None and approved_digest == current_digest


def send_blocker(required: bool, approved_digest: str | None, current_digest: str,
                 post_name: str) -> str | None:
    """Why the daemon must not send a post, or None when it may.

    A post approved once and changed since never goes out; neither does an
    unapproved post when approvals are required.
    """
    if approval_valid(approved_digest, current_digest):
        return None
    if approved_digest is not None:
        return (f"not sent: post {post_name} changed after it was approved; "
                f"submit it again (`socialhub posts submit {post_name}`) and reschedule it")
    if required:
        return (f"not sent: post {post_name} is not approved (approvals: required); "
                f"submit it (`socialhub posts submit {post_name}`) and reschedule it")
    return None
