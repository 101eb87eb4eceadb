"""Workflow rules: the ``Rule`` manifest's spec, matching an inbox item, rendering templates.

Pure: no I/O. A rule has one trigger (``type: inbox`` — a new inbox item matching
keywords, sentiment, platforms or authors), optional conditions (simple field
matches on the item), a list of actions (each one key: ``reply``,
``assign``, ``tag``, ``archive``, ``notify``, ``webhook``), a per-rule rate limit and
``dry_run``. docs/rules.md is the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The triggers a rule may name (only ``inbox`` is run so far).
TRIGGERS = ("inbox",)
#: The action keys, one per action.
ACTIONS = ("reply", "assign", "tag", "archive", "notify", "webhook")
#: The item fields a condition may match.
CONDITION_FIELDS = ("kind", "platform", "account", "author", "sentiment", "language",
                    "text")

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Strict):
    type: str
    keywords: list[str] = []
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    platforms: list[str] = []
    authors: list[str] = []

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in TRIGGERS:
            raise ValueError(f"unknown trigger {value!r} (known: {', '.join(TRIGGERS)})")
        return value


class Action(_Strict):
    reply: str | None = None
    assign: str | None = None
    tag: str | None = None
    archive: bool | None = None
    notify: str | None = None
    webhook: str | None = None

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
        """The action's argument (a template, a login, a tag…)."""
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
        unknown = sorted(set(self.conditions) - set(CONDITION_FIELDS))
        if unknown:
            raise ValueError(f"unknown condition field {unknown[0]!r} "
                             f"(known: {', '.join(CONDITION_FIELDS)})")
        return self


#: What a template sees when a rule is checked (``lint``/``apply``): an item like any.
SAMPLE_ITEM: dict[str, Any] = {
    "id": 1, "platform": "sandbox", "account": "sandbox:@me", "kind": "comment",
    "author": "someone", "author_handle": "someone", "author_name": "Someone",
    "text": "hello", "url": None, "sentiment": "neutral", "language": "en",
}

#: The templated actions.
TEMPLATED = ("reply", "notify")


def render(template: str, item: Mapping[str, Any], rule: str) -> str:
    """Render ``template`` with ``item`` and ``rule`` (the rule's name).

    Raises:
        ValueError: the template does not parse or names something unknown.
    """
    try:
        return _ENV.from_string(template).render(item=dict(item), rule=rule).strip()
    except TemplateError as exc:
        raise ValueError(f"template does not render: {exc}") from exc


def template_problems(spec: RuleSpec, rule: str) -> list[tuple[int, str, str]]:
    """``(action index, key, message)`` for each template that does not render."""
    out: list[tuple[int, str, str]] = []
    for i, action in enumerate(spec.actions):
        if action.kind in TEMPLATED:
            try:
                text = render(str(action.value), SAMPLE_ITEM, rule)
            except ValueError as exc:
                out.append((i, action.kind, str(exc)))
                continue
            if not text:
                out.append((i, action.kind, "template renders to nothing"))
    return out


def matches(spec: RuleSpec, item: Mapping[str, Any]) -> str | None:
    """Why ``item`` does not trigger the rule, or None when it does."""
    trigger = spec.trigger
    text = str(item.get("text") or "").lower()
    if trigger.keywords and not any(k.lower() in text for k in trigger.keywords):
        return "no keyword"
    if trigger.sentiment and item.get("sentiment") != trigger.sentiment:
        return "sentiment"
    if trigger.platforms and item.get("platform") not in trigger.platforms:
        return "platform"
    authors = {a.lower().lstrip("@") for a in trigger.authors}
    if authors and str(item.get("author") or "").lower().lstrip("@") not in authors:
        return "author"
    for key, want in spec.conditions.items():
        have = str(item.get(key) or "")
        if key == "text":
            if want.lower() not in have.lower():
                return f"condition {key}"
        elif have.lower() != want.lower():
            return f"condition {key}"
    return None
