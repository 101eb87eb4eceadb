"""``audit list``: an organization's audit rows, newest first, filtered and paged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.when_past import parse_past
from socialhub.db.models import AuditEvent
from socialhub.db.queries import audit as queries
from socialhub.errors import ValidationError
from socialhub.services.clock import display_zone
from socialhub.services.context import CHANNELS, Ctx, use_case
from socialhub.services.paging import AUDIT, Page, Window, fetch_size, keyed_page


@dataclass(frozen=True)
class AuditFilter:
    """What ``audit list`` keeps: a time range [since, until), an actor, a record kind
    (and name), a channel; None means any."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    kind: str | None = None
    name: str | None = None
    channel: str | None = None


def record_filter(text: str) -> tuple[str, str | None]:
    """``KIND[:NAME]`` as (kind, name): ``post:launch``, ``voice_profile``,
    ``account:bluesky:@shop.example`` (the name may hold colons). The kind is matched
    whatever its case, with or without ``_``/``-`` (``VoiceProfile`` = ``voice-profile``).

    Raises:
        ValidationError: no kind before the colon.
    """
    kind, _sep, name = text.partition(":")
    kind = re.sub(r"[_\-\s]", "", kind)
    if not kind:
        raise ValidationError(f"--record {text!r}: expected KIND or KIND:NAME, e.g. post:launch")
    return kind, (name or None)


@use_case(Permission.AUDIT_READ)
def audit_filter(ctx: Ctx, *, since: str | None = None, until: str | None = None,
                 actor: str | None = None, record: str | None = None,
                 channel: str | None = None) -> AuditFilter:
    """Read the options of ``audit list`` (times in the display zone, relative to now).

    Raises:
        ValidationError: an unreadable time, an empty range, an unknown channel or a
            bad ``--record``.
    """
    zone, now = display_zone(ctx.settings), ctx.now()
    start = parse_past(since, zone, now=now) if since else None
    end = parse_past(until, zone, now=now) if until else None
    if start is not None and end is not None and end <= start:
        raise ValidationError(f"--until {until!r} is not after --since {since!r}")
    if channel is not None and channel not in CHANNELS:
        raise ValidationError(f"--channel {channel!r}: expected one of {', '.join(CHANNELS)}")
    kind, name = record_filter(record) if record else (None, None)
    return AuditFilter(start, end, actor or None, kind, name, channel)


def _where(ctx: Ctx, f: AuditFilter) -> list[Any]:
    return queries.audit_conditions(ctx.org_id, since=f.since, until=f.until, actor=f.actor,
                                    kind=f.kind, name=f.name, channel=f.channel)


def audit_entry(row: AuditEvent) -> dict[str, Any]:
    """One audit row as the front ends show it (and ``--json``/``--csv`` print it)."""
    return {"id": row.id, "at": row.at.isoformat(), "actor": row.actor, "channel": row.channel,
            "action": row.action, "record_kind": row.record_kind, "record_id": row.record_id,
            "record_name": row.record_name, "change": row.change, "hash": row.hash}


@use_case(Permission.AUDIT_READ)
def list_audit(ctx: Ctx, f: AuditFilter, *, limit: int | None,
               offset: int = 0) -> Page[dict[str, Any]]:
    """The organization's audit rows matching ``f``, newest first: ``offset`` skipped,
    at most ``limit`` (None: all), with how many match in all."""
    return audit_page(ctx, f, Window(limit, offset))


@use_case(Permission.AUDIT_READ)
def audit_page(ctx: Ctx, f: AuditFilter, window: Window, *,
               count: bool = True) -> Page[dict[str, Any]]:
    """The page ``window`` of the audit rows matching ``f`` (newest first, older than
    the cursor's row), how many match in all (when ``count``), and the cursor of the
    next page when there is one."""
    where = _where(ctx, f)
    rows = queries.audit_page(ctx.session, where, limit=fetch_size(window),
                              offset=window.offset,
                              after=None if window.after is None else window.after[0])
    total = queries.audit_count(ctx.session, where) if count else None
    return keyed_page(rows, window, AUDIT, lambda r: (r.id,),
                      lambda shown: [audit_entry(r) for r in shown], total)
