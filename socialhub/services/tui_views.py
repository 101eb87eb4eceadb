"""Plain data and actions the TUI needs, built only from the shared services.

The TUI never touches the database itself: every read and write goes
through these functions (and the services they call), in the same
transactions the CLI uses, so ``socialhub posts list`` and a running daemon
see a change the moment the TUI commits it. Nothing here imports a UI.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from socialhub.core.text import measure, rules_for, split_thread
from socialhub.core.when import When, load_zone, localize, parse_when
from socialhub.errors import SocialhubError, ValidationError
from socialhub.services.accounts import account_summary, list_accounts
from socialhub.services.calendar import View, calendar_entries, view_range
from socialhub.services.posts import TargetSpec, create_post, edit_post, get_post
from socialhub.services.queue import list_queue, publish_now
from socialhub.services.scheduling import post_summary, schedule_post
from socialhub.services.voices import list_voices

#: Two-letter badges shown on the calendar, one per platform.
BADGES = {"sandbox": "sb", "bluesky": "bs", "mastodon": "ma", "x": "x ", "linkedin": "li",
          "threads": "th", "instagram": "ig", "facebook": "fb", "reddit": "rd",
          "pinterest": "pi", "youtube": "yt", "tiktok": "tt"}


@dataclass(frozen=True)
class CalendarData:
    """The entries of one view, grouped by local day (posts first, then free slots)."""

    view: View
    start: date
    end: date
    days: dict[date, list[dict[str, Any]]]


def calendar_data(session: Session, org_id: int, view: View, anchor: date,
                  zone: str) -> CalendarData:
    """Posts and free slots of the month or week around ``anchor``, by local day in ``zone``."""
    rng = view_range(view, anchor)
    if view == "month":  # the grid shows whole weeks, so fetch the padding days too
        start = rng.start - timedelta(days=rng.start.weekday())
        end = rng.end + timedelta(days=(7 - rng.end.weekday()) % 7)
        rng = type(rng)(start, end)
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for entry in calendar_entries(session, org_id, rng, zone):
        days[entry["date"]].append(entry)
    return CalendarData(view, rng.start, rng.end, dict(days))


@dataclass(frozen=True)
class Move:
    """What a move changed: the post and each target's previous schedule (for undo)."""

    post: str
    days: int
    previous: dict[str, str] = field(default_factory=dict)  # account ref → "local zone"


def move_post(session: Session, org_id: int, ref: str, days: int, *, now: datetime) -> Move:
    """Shift every scheduled target of a post by ``days``, keeping its local time and zone.

    Raises:
        ValidationError: the post has no scheduled target, or a new time is in the past.
        ConflictError: a target is being published or already went out.
    """
    post = get_post(session, org_id, ref)
    previous: dict[str, str] = {}
    for v in post.variants:
        if v.local_time is None or v.timezone is None:
            continue
        old = datetime.fromisoformat(v.local_time)
        previous[v.account.ref] = f"{v.local_time} {v.timezone}"
        when = localize(old + timedelta(days=days), v.timezone)
        schedule_post(session, org_id, post.name, at=when, accounts=[v.account.ref], now=now)
    if not previous:
        raise ValidationError(f"post {post.name} is not on the calendar; schedule it first")
    return Move(post.name, days, previous)


def undo_move(session: Session, org_id: int, move: Move, *, now: datetime) -> None:
    """Put each target of a moved post back at the time it had before ``move``.

    Raises:
        ValidationError: an old time has passed in the meantime.
    """
    for account, text in move.previous.items():
        schedule_post(session, org_id, move.post, at=parse_when(text, "UTC"),
                      accounts=[account], now=now)


def account_choices(session: Session, org_id: int) -> list[tuple[str, str]]:
    """(ref, platform) of every account, for the editor's target picker."""
    return [(a.ref, a.platform) for a in list_accounts(session, org_id)]


def account_rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Accounts with token status and expiry (never secrets)."""
    rows = []
    for a in list_accounts(session, org_id):
        row = account_summary(a)
        row["token_status"] = a.credential.status if a.credential else "none"
        rows.append(row)
    return rows


def voice_rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Voice profiles: name, default flag, description."""
    return [{"name": v.name, "default": v.is_default, "description": v.description or ""}
            for v in list_voices(session, org_id)]


def queue_rows(session: Session, org_id: int, *, show_all: bool = False) -> list[dict[str, Any]]:
    """Deliveries for the queue screen: open ones, or every one with ``show_all``."""
    return list_queue(session, org_id, statuses=["all"] if show_all else None)


SaveMode = Literal["draft", "schedule", "publish"]


@dataclass(frozen=True)
class Draft:
    """What the editor holds: body, targets with their own text ("" = the body), schedule."""

    body: str
    targets: dict[str, str]
    name: str | None = None
    at: str = ""  # "YYYY-MM-DD HH:MM [Zone]"; empty = no time
    next_slot: bool = False


def load_draft(session: Session, org_id: int, ref: str) -> tuple[Draft, str]:
    """The editable form of an existing post, and its status."""
    post = get_post(session, org_id, ref)
    data = post_summary(session, post, with_deliveries=False)
    targets: dict[str, str] = {}
    for t in data["targets"]:
        follows = t["text"] == post.body or (t["thread"] and post.body.startswith(t["thread"][0]))
        targets[t["account"]] = "" if follows else t["text"]
    at = next((t["at"].replace("T", " ") for t in data["targets"] if t["at"]), "")
    return Draft(post.body, targets, post.name, at), post.status


def save_draft(session: Session, org_id: int, draft: Draft, *, existing: str | None,
               mode: SaveMode, zone: str, now: datetime) -> dict[str, Any]:
    """Create or update a post from the editor; then schedule it or make it due now.

    All in one transaction: a bad time leaves no half-saved post. Over-length
    text on a thread platform becomes a thread, as the preview shows.

    Raises:
        ValidationError: empty post, no target, bad time, or text a platform refuses.
    """
    if not draft.targets:
        raise ValidationError("pick at least one target account")
    texts = {ref: text or draft.body for ref, text in draft.targets.items()}
    if existing is None:
        post = create_post(session, org_id, body=draft.body, name=draft.name or None, split=True,
                           targets=[TargetSpec(account=r, text=t) for r, t in texts.items()])
    else:
        post = get_post(session, org_id, existing)
        current = {v.account.ref for v in post.variants}
        post = edit_post(session, org_id, existing, body=draft.body, texts=texts, split=True,
                         name=draft.name or None,
                         add_targets=sorted(set(texts) - current),
                         remove_targets=sorted(current - set(texts)))
    if mode == "publish":
        publish_now(session, org_id, post.name, now=now)
    elif mode == "schedule":
        when: When | None = None
        if not draft.next_slot:
            if not draft.at.strip():
                raise ValidationError("give a time (YYYY-MM-DD HH:MM [Zone]) or pick next free "
                                      "slot")
            when = parse_when(draft.at, zone)
        post = schedule_post(session, org_id, post.name, at=when, next_slot=draft.next_slot,
                             now=now)
    return post_summary(session, post)


_UNITS = {"graphemes+bytes": "graphemes", "weighted": "weighted chars", "utf16": "UTF-16 units",
          "utf8-emoji": "chars", "chars": "chars", "bytes": "bytes", "graphemes": "graphemes"}


@dataclass(frozen=True)
class Check:
    """The live check of one target's text: counter line, problems, preview parts."""

    counter: str
    valid: bool
    problems: tuple[str, ...]
    parts: tuple[str, ...]


def check_text(text: str, platform: str) -> Check:
    """Measure ``text`` as ``platform`` counts it; split it into a thread when that fixes it."""
    m = measure(text, platform)
    counter = f"{m.length}/{m.limit} {_UNITS.get(m.unit, m.unit)}"
    if m.valid or m.length <= m.limit or not rules_for(platform).supports_threads:
        return Check(counter, m.valid, m.problems, (text,) if text else ())
    try:
        parts = tuple(split_thread(text, platform))
    except SocialhubError as exc:
        return Check(counter, False, (*m.problems, str(exc)), (text,))
    note = f"over the limit: will be posted as a thread of {len(parts)}"
    return Check(counter, True, (note,), parts)


def local_today(now: datetime, zone: str) -> date:
    """Today's date in ``zone``."""
    return now.astimezone(load_zone(zone)).date()
