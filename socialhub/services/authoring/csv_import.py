"""Bulk posts from a CSV file: each row at its own time, or in the next free slots.

Columns (header row required): ``body``, ``accounts`` (refs separated by
spaces, commas or semicolons), and optionally ``at`` (``YYYY-MM-DD HH:MM``),
``zone``, ``name``, ``campaign``, ``tags`` (separated by spaces or commas).
Rows without ``at`` go into each account's next free weekly slot; each post's
language is detected from its body (``ai.language``). Everything
is checked and written in one transaction: one bad row and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialhub.ai.language import detect_language
from socialhub.core.policy import Permission
from socialhub.core.when import parse_when, require_future
from socialhub.errors import PermissionDeniedError, SocialhubError, ValidationError
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.scheduling import schedule_post
from socialhub.services.context import Ctx, use_case

REQUIRED = ("body", "accounts")
KNOWN = (*REQUIRED, "at", "zone", "name", "campaign", "tags")
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class ImportReport:
    """What an import did."""

    created: int
    scheduled_at_time: int
    scheduled_in_slot: int
    names: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (``import csv --json``, the API): counts and the posts' names."""
        return {"created": self.created, "at_time": self.scheduled_at_time,
                "in_slots": self.scheduled_in_slot, "posts": self.names}


@use_case(Permission.POSTS_WRITE)
def import_posts_csv(ctx: Ctx, text: str, *, name: str, default_zone: str,
                     now: datetime, progress: Callable[[int, int], None] | None = None
                     ) -> ImportReport:
    """Create and schedule one post per row of the CSV ``text`` (``name`` is the file's,
    shown in messages; a leading byte-order mark is ignored).

    Raises:
        ValidationError: a row is invalid; the message names ``name:line``.
        PermissionDeniedError: the actor may write posts but not schedule them.
    """
    path = name
    try:
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from None
    if not rows:
        raise ValidationError(f"{path}: the file is empty (a header row is required)")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationError(f"{path}:1: missing column(s) {', '.join(missing)} "
                              f"(columns: {', '.join(KNOWN)})")
    unknown = [c for c in header if c not in KNOWN]
    if unknown:
        raise ValidationError(f"{path}:1: unknown column(s) {', '.join(unknown)} "
                              f"(columns: {', '.join(KNOWN)})")
    report = ImportReport(0, 0, 0, [])
    body_rows = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    for done, (line, raw) in enumerate(body_rows, 1):
        row = dict(zip(header, raw + [""] * (len(header) - len(raw)), strict=False))
        try:
            _import_row(ctx, row, default_zone, now, report)
        except PermissionDeniedError:
            raise  # not the row's fault: scheduling needs posts.publish
        except SocialhubError as exc:
            raise ValidationError(f"{path}:{line}: {exc}") from None
        if progress:
            progress(done, len(body_rows))
    return report


def _import_row(ctx: Ctx, row: dict[str, str], default_zone: str,
                now: datetime, report: ImportReport) -> None:
    refs = [r for r in _SPLIT.split(row["accounts"].strip()) if r]
    if not refs:
        raise ValidationError("no accounts in this row")
    zone = row.get("zone", "").strip() or default_zone
    when = None
    if row.get("at", "").strip():
        when = parse_when(row["at"].strip(), zone)
        require_future(when, now)
    tags = [t for t in _SPLIT.split(row.get("tags", "").strip()) if t]
    language = detect_language(row["body"])
    post = create_post(ctx, body=row["body"],
                       targets=[TargetSpec(account=r, language=language) for r in refs],
                       name=row.get("name", "").strip() or None,
                       campaign=row.get("campaign", "").strip() or None, tags=tags)
    schedule_post(ctx, post.name, at=when, next_slot=when is None, now=now)
    report.created += 1
    report.names.append(post.name)
    if when is None:
        report.scheduled_in_slot += 1
    else:
        report.scheduled_at_time += 1
