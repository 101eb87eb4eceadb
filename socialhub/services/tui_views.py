"""Plain data and actions the TUI needs, built only from the shared services.

The TUI never touches the database itself: every read and write goes
through these functions (and the services they call), in the same
transactions the CLI uses, so ``socialhub posts list`` and a running daemon
see a change the moment the TUI commits it. Nothing here imports a UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from socialhub.core.calendar_view import (
    CalendarData,
    View,
    calendar_span,
    local_today,
)
from socialhub.core.policy import Permission
from socialhub.core.when import When, localize, parse_when
from socialhub.errors import ValidationError
from socialhub.platforms.registry import specs
from socialhub.services.context import Ctx, use_case

if TYPE_CHECKING:
    from socialhub.services.hub import Hub

# Nothing heavy is imported up front: the TUI paints its first month before
# SQLAlchemy, the models, the text rules (regex tables), AI voices or
# publishing are loaded. Services are imported inside the functions using them.

__all__ = ["BADGES", "CalendarData", "View", "calendar_data", "calendar_span", "local_today"]

#: Two-letter badges shown on the calendar, one per platform.
BADGES: dict[str, str] = {spec.name: spec.badge for spec in specs()}


def badge(platform: str) -> str:
    """The two-letter calendar badge of a platform (``bs`` for bluesky)."""
    return BADGES.get(platform, platform[:2]).strip()


def handle_of(account: str) -> str:
    """The ``@handle`` part of an account ref (``bluesky:@shop.example.com`` → ``@shop…``)."""
    return account.split(":", 1)[-1]


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, with an ellipsis when something was cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def legend(entries: Iterable[dict[str, Any]]) -> str:
    """What each badge on screen stands for: ``bs @shop.example.com · ma @me@social.example``."""
    seen = sorted({(badge(e["platform"]), handle_of(e["account"])) for e in entries})
    return " · ".join(f"{code} {handle}" for code, handle in seen)


def badge_key() -> str:
    """Every platform badge and its network, for the help screen."""
    return ", ".join(f"{code.strip()} {name}" for name, code in BADGES.items())


def is_past(entry: dict[str, Any], now: datetime) -> bool:
    """True when a calendar entry's time (local ISO with offset) is not after ``now``."""
    return datetime.fromisoformat(entry["at"]) <= now


def upcoming(entries: list[dict[str, Any]], now: datetime | None) -> list[dict[str, Any]]:
    """The entries worth showing: every post, but a free slot only while it is ahead.

    A slot whose time has passed cannot take a post any more, so it is not
    offered as "free".
    """
    if now is None:
        return entries
    return [e for e in entries if e["kind"] != "slot" or not is_past(e, now)]


def default_time(day: date | None, now: datetime, zone: str) -> str:
    """The new-post form's time: 09:00 on ``day`` when still ahead, else the next round hour.

    Never in the past: on today after 09:00, or on a day gone by, it is the
    first full hour after ``now`` (in ``zone``). Returned as ``YYYY-MM-DD HH:MM``.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if day is not None:
        morning = datetime.combine(day, time(9, 0), tz)
        if morning > local_now:
            return f"{morning:%Y-%m-%d %H:%M}"
    # Step in UTC so a DST change never yields a wall-clock hour that does not exist.
    hour = local_now.replace(minute=0, second=0, microsecond=0)
    nxt = (hour.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
    while nxt.minute:  # zones with a half-hour offset: on to the next local full hour
        nxt += timedelta(minutes=60 - nxt.minute)
    return f"{nxt:%Y-%m-%d %H:%M}"


@use_case(Permission.POSTS_READ)
def calendar_data(ctx: Ctx, view: View, anchor: date,
                  zone: str) -> CalendarData:
    """Posts and free slots of the month or week around ``anchor``, by local day in ``zone``."""
    from socialhub.services.calendar import calendar_entries

    rng = calendar_span(view, anchor)
    return CalendarData.of(view, rng, calendar_entries(ctx, rng, zone))


@dataclass(frozen=True)
class Move:
    """What a move changed: the post and each target's previous schedule (for undo)."""

    post: str
    days: int
    previous: dict[str, str] = field(default_factory=dict)  # account ref → "local zone"
    minutes: int = 0


@use_case(Permission.POSTS_PUBLISH)
def move_post(ctx: Ctx, ref: str, days: int, *, now: datetime,
              minutes: int = 0) -> Move:
    """Shift every scheduled target of a post by ``days`` and ``minutes`` of local time.

    Each target keeps its zone; a whole-day move keeps its local time of day
    (across a DST change too), a ``minutes`` move shifts the wall-clock time.

    Raises:
        ValidationError: the post has no scheduled target, or a new time is in the past.
        ConflictError: a target is being published or already went out.
    """
    from socialhub.services.posts import get_post
    from socialhub.services.scheduling import schedule_post

    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    previous: dict[str, str] = {}
    for v in post.variants:
        if v.local_time is None or v.timezone is None:
            continue
        old = datetime.fromisoformat(v.local_time)
        previous[v.account.ref] = f"{v.local_time} {v.timezone}"
        when = localize(old + timedelta(days=days, minutes=minutes), v.timezone)
        schedule_post(ctx, post.name, at=when, accounts=[v.account.ref], now=now)
    if not previous:
        raise ValidationError(f"post {post.name} is not on the calendar; schedule it first")
    return Move(post.name, days, previous, minutes)


@use_case(Permission.POSTS_PUBLISH)
def undo_move(ctx: Ctx, move: Move, *, now: datetime) -> None:
    """Put each target of a moved post back at the time it had before ``move``.

    Raises:
        ValidationError: an old time has passed in the meantime.
    """
    from socialhub.services.scheduling import schedule_post

    for account, text in move.previous.items():
        schedule_post(ctx, move.post, at=parse_when(text, "UTC"),
                      accounts=[account], now=now)


@use_case(Permission.ACCOUNTS_READ)
def account_choices(ctx: Ctx) -> list[tuple[str, str]]:
    """(ref, platform) of every account, for the editor's target picker."""
    from socialhub.services.accounts import list_accounts

    session, org_id = ctx.session, ctx.org_id
    return [(a.ref, a.platform) for a in list_accounts(session, org_id)]


@use_case(Permission.ACCOUNTS_READ)
def account_rows(ctx: Ctx) -> list[dict[str, Any]]:
    """Accounts with token status and expiry (never secrets)."""
    from socialhub.services.accounts import account_summary, list_accounts

    session, org_id = ctx.session, ctx.org_id
    rows = []
    for a in list_accounts(session, org_id):
        row = account_summary(a)
        row["token_status"] = a.credential.status if a.credential else "none"
        rows.append(row)
    return rows


@use_case(Permission.VOICES_READ)
def voice_rows(ctx: Ctx) -> list[dict[str, Any]]:
    """Voice profiles: name, default flag, description."""
    from socialhub.services.voices import list_voices

    return [{"name": v.name, "default": v.is_default, "description": v.description or ""}
            for v in list_voices(ctx)]


@use_case(Permission.QUEUE_READ)
def queue_rows(ctx: Ctx, *, show_all: bool = False) -> list[dict[str, Any]]:
    """Deliveries for the queue screen: open ones, or every one with ``show_all``."""
    from socialhub.services.queue import list_queue

    return list_queue(ctx, statuses=["all"] if show_all else None)


SaveMode = Literal["draft", "schedule", "publish"]


@dataclass(frozen=True)
class Draft:
    """What the editor holds: body, targets with their own text ("" = the body), schedule."""

    body: str
    targets: dict[str, str]
    name: str | None = None
    at: str = ""  # "YYYY-MM-DD HH:MM [Zone]"; empty = no time
    next_slot: bool = False


@use_case(Permission.POSTS_READ)
def load_draft(ctx: Ctx, ref: str) -> tuple[Draft, str]:
    """The editable form of an existing post, and its status."""
    from socialhub.services.posts import get_post
    from socialhub.services.scheduling import post_summary

    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    data = post_summary(session, post, with_deliveries=False)
    targets: dict[str, str] = {}
    for t in data["targets"]:
        follows = t["text"] == post.body or (t["thread"] and post.body.startswith(t["thread"][0]))
        targets[t["account"]] = "" if follows else t["text"]
    at = next((t["at"].replace("T", " ") for t in data["targets"] if t["at"]), "")
    return Draft(post.body, targets, post.name, at), post.status


@use_case(Permission.POSTS_WRITE)
def save_draft(ctx: Ctx, draft: Draft, *, existing: str | None,
               mode: SaveMode, zone: str, now: datetime) -> dict[str, Any]:
    """Create or update a post from the editor; then schedule it or make it due now.

    All in one transaction: a bad time leaves no half-saved post. Over-length
    text on a thread platform becomes a thread, as the preview shows.

    Raises:
        ValidationError: empty post, no target, bad time, or text a platform refuses.
    """
    from socialhub.services.posts import TargetSpec, create_post, edit_post, get_post
    from socialhub.services.queue import publish_now
    from socialhub.services.scheduling import post_summary, schedule_post

    session, org_id = ctx.session, ctx.org_id
    if not draft.targets:
        raise ValidationError("pick at least one target account")
    texts = {ref: text or draft.body for ref, text in draft.targets.items()}
    if existing is None:
        post = create_post(ctx, body=draft.body, name=draft.name or None, split=True,
                           targets=[TargetSpec(account=r, text=t) for r, t in texts.items()])
    else:
        post = get_post(session, org_id, existing)
        current = {v.account.ref for v in post.variants}
        post = edit_post(ctx, existing, body=draft.body, texts=texts, split=True,
                         name=draft.name or None,
                         add_targets=sorted(set(texts) - current),
                         remove_targets=sorted(current - set(texts)))
    if mode == "publish":
        publish_now(ctx, post.name, now=now)
    elif mode == "schedule":
        when: When | None = None
        if not draft.next_slot:
            if not draft.at.strip():
                raise ValidationError("give a time (YYYY-MM-DD HH:MM [Zone]) or pick next free "
                                      "slot")
            when = parse_when(draft.at, zone)
        post = schedule_post(ctx, post.name, at=when, next_slot=draft.next_slot,
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
    from socialhub.core.text import measure, rules_for, split_thread
    from socialhub.errors import SocialhubError

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


class GenerationCancelled(Exception):
    """The person cancelled an AI run; the drafts so far are discarded."""


@dataclass(frozen=True)
class Suggestion:
    """One AI text for one target, already valid for its platform (a thread joined back)."""

    target: str
    text: str
    provider: str
    notes: tuple[str, ...] = ()


def _ai_job(hub: Hub, targets: list[str]) -> Any:
    from socialhub.services import generation as gen
    from socialhub.services.accounts import get_account
    from socialhub.services.voices import default_voice, voice_brief

    with hub.transaction() as session:
        org_id = hub.org_id(session)
        accounts = [get_account(session, org_id, ref) for ref in targets]
        profile = default_voice(session, org_id)
        return gen.Job(org_id, [gen.target_for(a) for a in accounts], voice_brief(profile),
                       profile.name if profile else None, gen.month_spend(session, org_id))


def _suggestion(draft: Any) -> Suggestion:
    from socialhub.ai.fitting import join_thread

    return Suggestion(draft.target, join_thread(list(draft.parts)), draft.provider,
                      tuple(draft.notes))


def suggest_variants(hub: Hub, body: str, targets: list[str], *,
                     on_suggestion: Callable[[Suggestion], None],
                     cancelled: Callable[[], bool],
                     notify: Callable[[str], None]) -> list[Suggestion]:
    """Write the body for every target with the configured AI (offline without a key).

    Nothing is stored but the usage rows (the calls were made, and may have
    cost money): the editor shows the texts and the person decides. Each
    suggestion is handed to ``on_suggestion`` as soon as it is ready;
    ``cancelled()`` is asked between drafts and stops the run.

    Raises:
        GenerationCancelled: ``cancelled()`` turned true.
        ValidationError: empty body or no target.
        BudgetError: the budget is spent, or the provider failed with no fallback.
    """
    # The generation service's runner is reused so fitting, fallback and the budget
    # behave exactly as in `socialhub posts generate`; only the storing differs.
    from socialhub.services import generation as gen

    if not body.strip():
        raise ValidationError("write the idea in the body first, then generate")
    if not targets:
        raise ValidationError("pick at least one target account to generate for")
    job = _ai_job(hub, targets)
    runner = gen.GenerationRunner(hub, job, gen.choose_provider(hub, None, notify), notify)

    def ready(draft: Any) -> None:
        if cancelled():
            raise GenerationCancelled
        on_suggestion(_suggestion(draft))

    try:
        drafts = runner.generate(body.strip(), 1, ready)
    except GenerationCancelled:
        gen.record_usage(hub, job.org_id, runner.usage)
        raise
    gen.record_usage(hub, job.org_id, runner.usage)
    return [_suggestion(d) for d in drafts if d.n == 1]


def suggest_rewrite(hub: Hub, text: str, target: str, instruction: str, *,
                    notify: Callable[[str], None]) -> Suggestion:
    """Rewrite one target's text by ``instruction`` (shorter, formal, casual, emoji…).

    Like :func:`suggest_variants`, only the usage is stored.

    Raises:
        ValidationError: empty text or instruction.
        BudgetError: the budget is spent, or the provider failed with no fallback.
    """
    from socialhub.services import generation as gen

    if not text.strip():
        raise ValidationError("nothing to rewrite: the text is empty")
    if not instruction.strip():
        raise ValidationError("say how to rewrite (shorter, formal, casual, emoji, hashtags…)")
    job = _ai_job(hub, [target])
    runner = gen.GenerationRunner(hub, job, gen.choose_provider(hub, None, notify), notify)
    draft = runner.rewrite(text, job.targets[0], instruction.strip())
    gen.record_usage(hub, job.org_id, runner.usage)
    return _suggestion(draft)


@dataclass(frozen=True)
class DocQuote:
    """A docs-library hit, ready to insert into a draft as a link or a quote."""

    title: str
    link: str
    quote: str


def doc_quotes(store: Any, query: str, *, limit: int = 8) -> list[DocQuote]:
    """Search the docs library (``services.search.open_docs``) for the command palette.

    The query is escaped (plain mode), so whatever is typed is searched for
    literally and never raises a syntax error. The link is the document's
    source (a file path or URL it was imported from), else ``docs:ID``; the
    quote is the matching passage.
    """
    if not query.strip():
        return []
    page = store.search(query, limit=limit, highlight=("", ""))
    return [DocQuote(hit.title, hit.source or f"docs:{hit.id}",
                     " ".join(hit.snippet.split()).strip("…").strip())
            for hit in page.results]
