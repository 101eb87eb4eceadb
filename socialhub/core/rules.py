"""Workflow rules: the ``Rule`` manifest's spec, matching an event, rendering templates.

Pure: no I/O. A rule has one trigger — ``inbox`` (a new inbox item matching
keywords, sentiment, platforms or authors), ``post_published`` (one of our posts
went out), ``metric_threshold`` (a post's or an account's number reached a value),
``cron`` (a schedule) or ``feed`` (a new entry in an RSS/Atom feed) —, optional
conditions (simple field matches on the event), a list of actions (each one key:
``reply``, ``assign``, ``tag``, ``archive`` on an inbox item; ``notify``,
``webhook``, ``draft`` and ``schedule`` on any event), a per-rule rate limit and
``dry_run``. docs/rules.md is the reference.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

#: The triggers a rule may name.
TRIGGERS = ("inbox", "post_published", "metric_threshold", "cron", "feed")
#: The action keys, one per action.
ACTIONS = ("reply", "assign", "tag", "archive", "notify", "webhook", "draft", "schedule")
#: The actions that act on an inbox item (only an ``inbox`` trigger has one).
ITEM_ACTIONS = ("reply", "assign", "tag", "archive")
#: The post metrics a ``metric_threshold`` trigger may watch (``interactions`` is
#: likes + replies + reposts + quotes + saves + clicks).
POST_METRICS = ("impressions", "likes", "replies", "reposts", "quotes", "clicks", "saves",
                "interactions")
#: The account counts a ``metric_threshold`` trigger on ``subject: account`` may watch.
ACCOUNT_METRICS = ("followers", "following", "posts")

#: What each trigger's templates see, under its own name and as ``event``: a sample
#: event, used to check templates at ``lint``/``apply``. Conditions may match these keys.
SAMPLES: dict[str, dict[str, Any]] = {
    "inbox": {"id": 1, "platform": "sandbox", "account": "sandbox:@me", "kind": "comment",
              "author": "someone", "author_handle": "someone", "author_name": "Someone",
              "text": "hello", "url": None, "sentiment": "neutral", "language": "en"},
    "post_published": {"delivery_id": 1, "post": "launch", "account": "sandbox:@me",
                       "platform": "sandbox", "text": "We launched!",
                       "url": "https://example.org/1", "remote_id": "1",
                       "published_at": "2026-01-01T09:00:00+00:00"},
    "metric_threshold": {"subject": "post", "metric": "likes", "value": 120, "threshold": 100,
                         "post": "launch", "account": "sandbox:@me", "platform": "sandbox",
                         "url": "https://example.org/1", "delivery_id": 1},
    "cron": {"schedule": "0 9 * * mon", "at": "2026-01-05T09:00:00+01:00",
             "date": "2026-01-05", "weekday": "Monday"},
    "feed": {"id": "https://example.org/posts/1", "title": "A new article",
             "link": "https://example.org/posts/1", "summary": "What it is about",
             "author": "someone", "published": "2026-01-01T09:00:00+00:00",
             "feed": "Example blog", "feed_url": "https://example.org/feed.xml"},
}
#: The name a trigger's event has in templates besides ``event``.
ALIASES = {"inbox": "item", "post_published": "post", "metric_threshold": "metric",
           "cron": "tick", "feed": "entry"}
#: Kept for callers of the inbox-only first version.
SAMPLE_ITEM = SAMPLES["inbox"]
CONDITION_FIELDS = tuple(SAMPLE_ITEM)

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
#: Which trigger fields each trigger type accepts (``type`` aside).
_TRIGGER_FIELDS: dict[str, set[str]] = {
    "inbox": {"keywords", "sentiment", "platforms", "authors"},
    "post_published": {"keywords", "platforms", "accounts"},
    "metric_threshold": {"subject", "metric", "value", "platforms", "accounts"},
    "cron": {"schedule", "timezone"},
    "feed": {"url", "keywords", "every"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def cron_problem(schedule: str, timezone: str | None = None) -> str | None:
    """Why ``schedule`` is not a five-field cron expression (None when it is)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(schedule, timezone=timezone or "UTC")
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        return f"bad cron schedule {schedule!r}: {exc}"
    return None


def next_tick(schedule: str, timezone: str, after: datetime) -> datetime:
    """The first instant strictly after ``after`` that the cron ``schedule`` names
    (in ``timezone``), as an aware datetime."""
    from datetime import timedelta

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(schedule, timezone=timezone)
    start = after.astimezone(ZoneInfo(timezone)) + timedelta(seconds=1)
    found = trigger.get_next_fire_time(None, start)
    assert found is not None  # a crontab expression always fires again
    return found


class Trigger(_Strict):
    type: str
    keywords: list[str] = []
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    platforms: list[str] = []
    authors: list[str] = []
    accounts: list[str] = []
    subject: Literal["post", "account"] | None = None
    metric: str | None = None
    value: int | float | None = None
    timezone: str | None = None
    schedule: str | None = None
    url: str | None = None
    every: int | None = Field(default=None, ge=5, le=86_400)

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in TRIGGERS:
            raise ValueError(f"unknown trigger {value!r} (known: {', '.join(TRIGGERS)})")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            problem = cron_problem(value, info.data.get("timezone"))
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"a feed url is http(s)://host/…, not {value!r}")
        return value

    @model_validator(mode="after")
    def _fits(self) -> Trigger:
        allowed = _TRIGGER_FIELDS[self.type]
        given = {k for k in self.model_fields_set if k != "type"}
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"a {self.type} trigger has no {extra[0]!r} "
                             f"(it takes: {', '.join(sorted(allowed))})")
        if self.type == "cron" and not self.schedule:
            raise ValueError("a cron trigger needs a schedule, e.g. '0 9 * * mon'")
        if self.type == "feed" and not self.url:
            raise ValueError("a feed trigger needs the feed's http(s) url")
        if self.type == "metric_threshold":
            subject = self.subject or "post"
            known = POST_METRICS if subject == "post" else ACCOUNT_METRICS
            if self.metric not in known:
                raise ValueError(f"a {subject} metric is one of {', '.join(known)}"
                                 + ("" if self.metric is None else f", not {self.metric!r}"))
            if self.value is None:
                raise ValueError("a metric_threshold trigger needs a value to reach")
        return self

    @property
    def interval_s(self) -> int:
        """How often a feed is fetched (seconds; default five minutes)."""
        return self.every or 300


class DraftAction(_Strict):
    """Create a draft post: ``text`` is a template (with ``ai: true``, the idea the
    AI writes the post from); one variant per account."""

    text: str
    accounts: list[str] = Field(min_length=1)
    ai: bool = False
    tags: list[str] = []


class Action(_Strict):
    reply: str | None = None
    assign: str | None = None
    tag: str | None = None
    archive: bool | None = None
    notify: str | None = None
    webhook: str | None = None
    draft: DraftAction | None = None
    schedule: Literal["next_slot"] | None = None

    @model_validator(mode="after")
    def _one(self) -> Action:
        given = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"an action has exactly one of {', '.join(ACTIONS)}")
        return self

    @property
    def kind(self) -> str:
        """The action's key, e.g. ``reply``."""
        return next(k for k in ACTIONS if getattr(self, k) is not None)

    @property
    def value(self) -> Any:
        """The action's argument (a template, a login, a tag, a draft…)."""
        return getattr(self, self.kind)


class RateLimit(_Strict):
    per_hour: int = Field(default=20, ge=1, le=10_000)


class RuleSpec(_Strict):
    enabled: bool = True
    dry_run: bool = False
    trigger: Trigger
    conditions: dict[str, str] = {}
    actions: list[Action] = Field(min_length=1)
    rate_limit: RateLimit = RateLimit()

    @model_validator(mode="after")
    def _fields(self) -> RuleSpec:
        known = SAMPLES[self.trigger.type]
        unknown = sorted(set(self.conditions) - set(known))
        if unknown:
            raise ValueError(f"unknown condition field {unknown[0]!r} for a "
                             f"{self.trigger.type} trigger (known: {', '.join(known)})")
        drafted = False
        for action in self.actions:
            if action.kind in ITEM_ACTIONS and self.trigger.type != "inbox":
                raise ValueError(f"{action.kind!r} acts on an inbox item: only an inbox "
                                 f"trigger has one, not {self.trigger.type}")
            if action.kind == "schedule" and not drafted:
                raise ValueError("'schedule' schedules the draft an earlier 'draft' "
                                 "action created: put a draft before it")
            drafted = drafted or action.kind == "draft"
        return self


#: The templated actions.
TEMPLATED = ("reply", "notify", "draft")


@functools.lru_cache(maxsize=512)
def _compiled(template: str) -> Template:
    """A template compiled once (a rule renders the same few for every event)."""
    return _ENV.from_string(template)


def render(template: str, fields: Mapping[str, Any], rule: str,
           trigger: str = "inbox") -> str:
    """Render ``template`` with the event's ``fields`` (as ``event`` and under the
    trigger's own name: ``item``, ``post``, ``metric``, ``tick``, ``entry``) and
    ``rule`` (the rule's name).

    Raises:
        ValueError: the template does not parse or names something unknown.
    """
    values = dict(fields)
    try:
        return _compiled(template).render(
            {ALIASES.get(trigger, "item"): values, "event": values, "rule": rule}).strip()
    except TemplateError as exc:
        raise ValueError(f"template does not render: {exc}") from exc


def template_of(action: Action) -> str | None:
    """The template an action renders (None for an action without one)."""
    if action.kind == "draft":
        assert action.draft is not None
        return action.draft.text
    return str(action.value) if action.kind in TEMPLATED else None


def template_problems(spec: RuleSpec, rule: str) -> list[tuple[int, str, str]]:
    """``(action index, key, message)`` for each template that does not render."""
    out: list[tuple[int, str, str]] = []
    sample = SAMPLES[spec.trigger.type]
    for i, action in enumerate(spec.actions):
        template = template_of(action)
        if template is None:
            continue
        key = "draft.text" if action.kind == "draft" else action.kind
        try:
            text = render(template, sample, rule, spec.trigger.type)
        except ValueError as exc:
            out.append((i, key, str(exc)))
            continue
        if not text:
            out.append((i, key, "template renders to nothing"))
    return out


def _handle(text: object) -> str:
    return str(text or "").lower().lstrip("@")


def matches(spec: RuleSpec, event: Mapping[str, Any]) -> str | None:
    """Why ``event`` does not trigger the rule, or None when it does.

    ``keywords`` look in the text (a feed entry: its title and summary), any of
    them, ignoring case; ``platforms``, ``accounts`` and ``authors`` must contain
    the event's; ``sentiment`` must be the item's. Conditions compare a field
    (``text`` contains, the others equal, ignoring case).
    """
    trigger = spec.trigger
    if trigger.type == "feed":
        text = f"{event.get('title') or ''} {event.get('summary') or ''}".lower()
    else:
        text = str(event.get("text") or "").lower()
    if trigger.keywords and not any(k.lower() in text for k in trigger.keywords):
        return "no keyword"
    if trigger.sentiment and event.get("sentiment") != trigger.sentiment:
        return "sentiment"
    if trigger.platforms and event.get("platform") not in trigger.platforms:
        return "platform"
    authors = {_handle(a) for a in trigger.authors}
    if authors and _handle(event.get("author")) not in authors:
        return "author"
    accounts = {a.lower() for a in trigger.accounts}
    if accounts and str(event.get("account") or "").lower() not in accounts:
        return "account"
    for key, want in spec.conditions.items():
        have = str(event.get(key) or "")
        if key in ("text", "title", "summary"):
            if want.lower() not in have.lower():
                return f"condition {key}"
        elif have.lower() != want.lower():
            return f"condition {key}"
    return None
