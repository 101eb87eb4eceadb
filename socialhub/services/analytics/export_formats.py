"""The networks' own analytics exports that ``analytics import`` reads besides its
generic CSV: each format's columns declared once in ``FORMATS``, and the reading
that turns an export's rows into generic rows (``history_file.COLUMNS``) for the one
validation every row goes through.

A format is recognised by its header (``ExportFormat.signature``: columns that must
all be there, compared without case). Only formats whose column names could be
confirmed are here (docs/analytics.md lists them, with what maps to what and what
stays absent); a metric a format has no column for is absent, never 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from socialhub.platforms.x.snowflake import posted_at


@dataclass(frozen=True)
class ExportFormat:
    """One network's export: how to recognise it and where each generic column is.

    ``metrics`` maps a generic metric to the export's columns for it (the first one
    the file has wins); a metric left out is absent. ``published`` names the column
    with the time, read as ``published_as``: ``"offset"`` (a time with its UTC offset,
    ``2026-11-02 09:30 +0000``), ``"snowflake"`` (from the X post id in ``post_id``:
    the exact instant; the file's own column has the day only) or ``"local"``
    (``MM/DD/YYYY HH:MM`` without a zone, read in ``--zone`` or the display zone).
    ``account`` says where the file names the account: ``"permalink"`` (the handle in
    an X link), a column of handles, or None (``--account`` is required).
    """

    name: str
    title: str
    platform: str
    signature: frozenset[str]
    text: tuple[str, ...]
    url: tuple[str, ...]
    published: tuple[str, ...]
    published_as: str
    metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    post_id: str | None = None
    account: str | None = None


def _sig(*columns: str) -> frozenset[str]:
    return frozenset(c.lower() for c in columns)


#: Every export ``analytics import`` reads, with its column mapping (docs/analytics.md).
FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        name="x-tweet-activity", title="X (Twitter) analytics: tweet activity", platform="x",
        signature=_sig("Tweet id", "Tweet permalink", "Tweet text", "time", "impressions"),
        text=("Tweet text",), url=("Tweet permalink",), published=("time",),
        published_as="offset", post_id="Tweet id", account="permalink",
        metrics={"impressions": ("impressions",), "likes": ("likes",),
                 "replies": ("replies",), "reposts": ("retweets",),
                 "clicks": ("url clicks",)}),
    ExportFormat(
        name="x-content", title="X analytics: content (posts)", platform="x",
        signature=_sig("Post id", "Date", "Post text", "Post Link", "Impressions"),
        text=("Post text",), url=("Post Link",), published=("Date",),
        published_as="snowflake", post_id="Post id", account="permalink",
        metrics={"impressions": ("Impressions",), "likes": ("Likes",),
                 "replies": ("Replies",), "reposts": ("Reposts",),
                 "clicks": ("URL Clicks",), "saves": ("Bookmarks",)}),
    ExportFormat(
        name="meta-facebook-posts", title="Meta Business Suite: Facebook posts",
        platform="facebook",
        signature=_sig("Post ID", "Page ID", "Page name", "Publish time", "Permalink"),
        text=("Description", "Title"), url=("Permalink",), published=("Publish time",),
        published_as="local", post_id="Post ID", account=None,
        metrics={"impressions": ("Views", "Impressions"), "likes": ("Reactions",),
                 "replies": ("Comments",), "reposts": ("Shares",),
                 "clicks": ("Link Clicks",)}),
    ExportFormat(
        name="meta-instagram-posts", title="Meta Business Suite: Instagram posts",
        platform="instagram",
        signature=_sig("Post ID", "Account ID", "Account username", "Publish time",
                       "Permalink"),
        text=("Description",), url=("Permalink",), published=("Publish time",),
        published_as="local", post_id="Post ID", account="Account username",
        metrics={"impressions": ("Views", "Impressions"), "likes": ("Likes",),
                 "replies": ("Comments",), "reposts": ("Shares",), "saves": ("Saves",)}),
)

_X_LINK = re.compile(r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status/")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_WHOLE = re.compile(r"(\d+)\.0*")
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S %z")
_LOCAL_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")


def detect(header: Sequence[str]) -> ExportFormat | None:
    """The export whose signature ``header`` has, or None."""
    names = {h.strip().lower() for h in header}
    return next((f for f in FORMATS if f.signature <= names), None)


def names() -> str:
    """The readable exports, for an error message."""
    return "; ".join(f.title for f in FORMATS)


def translate(path: Path, fmt: ExportFormat, header: Sequence[str],
              rows: Iterable[tuple[int, Sequence[str]]], *, account: str | None,
              zone: str | None) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The export's rows (``(line, cells)``) as generic rows ``(where, row)``, and the
    problems only the export has (a time or account it does not give); the generic
    checks (counts, URLs, …) come after, in ``history_file.parse_row``."""
    index = {h.strip().lower(): i for i, h in enumerate(header)}

    def column(names: tuple[str, ...]) -> int | None:
        return next((index[n.lower()] for n in names if n.lower() in index), None)

    text_at, url_at, time_at = column(fmt.text), column(fmt.url), column(fmt.published)
    id_at = column((fmt.post_id,)) if fmt.post_id else None
    metric_at = {m: column(cols) for m, cols in fmt.metrics.items()}
    handle_at = (column((fmt.account,)) if fmt.account not in (None, "permalink")
                 else None)
    errors: list[str] = []
    if account is None and fmt.account is None:
        errors.append(f"{path}:1: a {fmt.title} export does not name the account: pass "
                      f"--account {fmt.platform}:@HANDLE")
        return [], errors
    tz = None
    if fmt.published_as == "local":
        try:
            tz = ZoneInfo(zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return [], [f"{path}: unknown time zone {zone!r} (an IANA name: Europe/Berlin)"]
    out: list[tuple[str, dict[str, Any]]] = []
    for line, cells in rows:
        where = f"{path}:{line}"

        def cell(at: int | None, cells: Sequence[str] = cells) -> str:
            return cells[at].strip() if at is not None and at < len(cells) else ""

        url = cell(url_at)
        stamp = _published(fmt, cell(time_at), cell(id_at), tz)
        if stamp is None:
            errors.append(f"{where}: {_time_problem(fmt, cell(time_at), cell(id_at))}")
            continue
        ref = account or _account_of(fmt, url, cell(handle_at))
        if ref is None:
            errors.append(f"{where}: the row does not name its account: pass --account "
                          f"{fmt.platform}:@HANDLE")
            continue
        row: dict[str, Any] = {"account": ref, "published_at": stamp, "text": cell(text_at),
                               "url": url}
        for metric, at in metric_at.items():
            row[metric] = _number(cell(at))
        out.append((where, row))
    return out, errors


def _published(fmt: ExportFormat, value: str, post_id: str,
               tz: ZoneInfo | None) -> str | None:
    """The row's instant as ISO 8601 with an offset, or None when it cannot be read."""
    if fmt.published_as == "snowflake":
        at = posted_at(post_id)
        return at.isoformat() if at else None
    formats = _OFFSET_FORMATS if fmt.published_as == "offset" else _LOCAL_FORMATS
    for pattern in formats:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return (parsed.replace(tzinfo=tz) if tz is not None else parsed).isoformat()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if tz is None:
            return None
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat()


def _time_problem(fmt: ExportFormat, value: str, post_id: str) -> str:
    if fmt.published_as == "snowflake":
        return f"post id {post_id!r} is not an X post id (the time comes from it)"
    example = ("2026-11-02 09:30 +0000" if fmt.published_as == "offset"
               else "11/02/2026 09:30")
    return f"{fmt.published[0]} {value!r} is not a time like {example}"


def _account_of(fmt: ExportFormat, url: str, handle: str) -> str | None:
    if fmt.account == "permalink":
        match = _X_LINK.match(url)
        return f"{fmt.platform}:@{match.group(1)}" if match else None
    if handle:
        return f"{fmt.platform}:@{handle.lstrip('@')}"
    return None


def _number(value: str) -> str:
    """An export's count as digits: ``1,234`` and ``12.0`` (as exports write them)
    become ``1234`` and ``12``; anything else is left for the generic check to refuse."""
    if _GROUPED.fullmatch(value):
        return value.replace(",", "")
    whole = _WHOLE.fullmatch(value)
    return whole.group(1) if whole else value
