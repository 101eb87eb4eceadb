"""Content policies (``kind: Policy``): their spec, and checking a text against them.

Pure: no I/O, no database. ``socialhub lint`` checks the posts of a manifest set
against the policies of the same set; ``apply``, scheduling and the TUI editor's
live panel check against the policies stored for the organization and the
post's campaign. Every check gives ``Finding`` values — a severity, the rule, the
span in the text, a message and a fix hint — and only ``error`` findings block.

Patterns are compiled with ``regex`` (already used for text counting) with a
time limit per search, so a policy author's catastrophic pattern cannot hang a
lint or a schedule. docs/campaigns.md ("Policies") is the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import regex
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from socialhub.core.text_entities import find_hashtags, find_urls

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = ("error", "warning")
#: The rule ids a finding may carry (``<policy>/<rule>`` in messages).
RULES = ("banned", "required", "disclosure", "max-hashtags", "max-mentions", "link-in-caption",
         "first-comment", "claim-needs-source", "pattern-timeout")
#: Seconds one pattern may search one text before it counts as a finding of its own.
PATTERN_TIMEOUT_S = 0.25
#: What counts as a source for a claim unless a policy says otherwise: a link, or a
#: "source:"/"via"/"according to" note.
DEFAULT_SOURCE = r"https?://\S+|\bsource\s*:|\bvia\s+\S|\baccording to\b|\[\d+\]"
DEFAULT_DISCLOSURE = ("#ad", "paid partnership")

_MENTION_RE = regex.compile(r"(?<![\w@/])@[\p{L}\p{N}_.\-]+(?:@[\p{L}\p{N}_.\-]+)?")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, case_sensitive: bool = False) -> regex.Pattern[str]:
    """``pattern`` compiled (``regex`` syntax, case-insensitive unless asked).

    Raises:
        ValueError: the pattern does not compile (the message says where and why).
    """
    flags = regex.VERSION1 | (0 if case_sensitive else regex.IGNORECASE)
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None


class Phrase(_Strict):
    """One phrase or pattern of a banned/required/claims list.

    Exactly one of ``phrase`` (plain text, matched as written, case-insensitive
    by default) and ``pattern`` (a regular expression) is given.
    """

    phrase: str | None = Field(default=None, min_length=1, max_length=500)
    pattern: str | None = Field(default=None, min_length=1, max_length=500)
    case_sensitive: bool = False
    severity: Severity = "error"
    hint: str | None = Field(default=None, max_length=500)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compile_pattern(value)
        return value

    @model_validator(mode="after")
    def _one(self) -> Phrase:
        if (self.phrase is None) == (self.pattern is None):
            raise ValueError("give either phrase or pattern")
        return self

    @property
    def label(self) -> str:
        """How messages name it: the phrase in quotes, or ``/pattern/``."""
        return f"'{self.phrase}'" if self.phrase is not None else f"/{self.pattern}/"

    def compiled(self) -> regex.Pattern[str]:
        """The phrase as a pattern (a plain phrase escaped, whole words where it starts
        and ends with a word character)."""
        if self.pattern is not None:
            return compile_pattern(self.pattern, self.case_sensitive)
        text = regex.escape(self.phrase or "")
        head = r"(?<!\w)" if (self.phrase or " ")[0].isalnum() else ""
        tail = r"(?!\w)" if (self.phrase or " ")[-1].isalnum() else ""
        return compile_pattern(f"{head}{text}{tail}", self.case_sensitive)


class Disclosure(_Strict):
    """What a paid post must say: one of ``phrases`` (``#ad``, "paid partnership")."""

    phrases: list[str] = Field(default=list(DEFAULT_DISCLOSURE), min_length=1)
    severity: Severity = "error"


class PlatformLimits(_Strict):
    """Rules for one platform's texts."""

    max_hashtags: int | None = Field(default=None, ge=0)
    max_mentions: int | None = Field(default=None, ge=0)
    #: A link in the text: ``warning``/``error`` where captions do not make links
    #: clickable (Instagram), ``off`` where they do.
    links: Literal["off", "warning", "error"] = "off"
    first_comment: Literal["optional", "required"] = "optional"
    severity: Severity = "error"


class Claim(Phrase):
    """A claim that needs a source in the same text (a link, or ``source_pattern``)."""

    severity: Severity = "warning"


class PolicySpec(_Strict):
    """The ``spec`` of a ``kind: Policy`` manifest (docs/campaigns.md)."""

    banned: list[Phrase] = []
    required: list[Phrase] = []
    #: Checked when the post or its campaign is paid; ``null`` leaves disclosure alone.
    disclosure: Disclosure | None = None
    platforms: dict[str, PlatformLimits] = {}
    claims: list[Claim] = []
    source_pattern: str = DEFAULT_SOURCE

    @field_validator("source_pattern")
    @classmethod
    def _source(cls, value: str) -> str:
        compile_pattern(value)
        return value

    @field_validator("platforms")
    @classmethod
    def _lower(cls, value: dict[str, PlatformLimits],
               info: ValidationInfo) -> dict[str, PlatformLimits]:
        out = {k.strip().lower(): v for k, v in value.items()}
        context = info.context if isinstance(info.context, dict) else {}
        known: list[str] = list(context.get("platforms") or ())
        for name in out if known else ():
            if name not in known:
                raise ValueError(f"unknown platform {name!r} (known: {', '.join(known)})")
        return out


@dataclass(frozen=True)
class Finding:
    """One thing a policy found in one text.

    ``start``/``end`` are code-point offsets into the text checked (end exclusive;
    both 0 when the finding is about the text as a whole, e.g. a missing phrase).
    """

    severity: str
    policy: str
    rule: str
    message: str
    start: int
    end: int
    hint: str

    @property
    def blocks(self) -> bool:
        """Whether it stops scheduling (errors do, warnings do not)."""
        return self.severity == "error"

    def __str__(self) -> str:
        where = f" at {self.start}-{self.end}" if self.end > self.start else ""
        return f"{self.severity}: {self.message} [{self.policy}/{self.rule}{where}]; {self.hint}"

    def as_dict(self) -> dict[str, object]:
        """Plain data for --json."""
        return {"severity": self.severity, "policy": self.policy, "rule": self.rule,
                "message": self.message, "start": self.start, "end": self.end,
                "hint": self.hint}


@dataclass(frozen=True)
class TextContext:
    """What the rules need to know about a text besides the text itself."""

    platform: str | None = None
    paid: bool = False
    first_comment: str | None = None


@dataclass(frozen=True)
class NamedPolicy:
    """A policy's name, its campaign (None: the whole organization) and its spec."""

    name: str
    spec: PolicySpec
    campaign: str | None = None


def applicable(policies: Iterable[NamedPolicy], campaign: str | None) -> list[NamedPolicy]:
    """The organization's policies and those of ``campaign``, organization ones first."""
    found = list(policies)
    return ([p for p in found if p.campaign is None]
            + [p for p in found if p.campaign is not None and p.campaign == campaign])


def _search(pattern: regex.Pattern[str], text: str) -> list[tuple[int, int]] | None:
    """Match spans, or None when the pattern ran out of time on this text."""
    try:
        return [m.span() for m in pattern.finditer(text, timeout=PATTERN_TIMEOUT_S)]
    except TimeoutError:
        return None


def check_text(policies: Sequence[NamedPolicy], text: str,
               context: TextContext = TextContext()) -> list[Finding]:
    """Every finding of ``policies`` on ``text``, in policy order, then by position.

    Never raises: a pattern that runs out of time becomes a ``pattern-timeout``
    warning naming it.
    """
    out: list[Finding] = []
    for policy in policies:
        out += _check_one(policy, text, context)
    return out


def _check_one(policy: NamedPolicy, text: str, context: TextContext) -> list[Finding]:
    spec, name = policy.spec, policy.name
    found: list[Finding] = []

    def add(severity: str, rule: str, message: str, span: tuple[int, int], hint: str) -> None:
        found.append(Finding(severity, name, rule, message, span[0], span[1], hint))

    def timed_out(item: Phrase) -> None:
        add("warning", "pattern-timeout", f"pattern {item.label} took too long on this text",
            (0, 0), "simplify the pattern (nested repetition backtracks)")

    for item in spec.banned:
        spans = _search(item.compiled(), text)
        if spans is None:
            timed_out(item)
            continue
        for span in spans:
            add(item.severity, "banned", f"banned phrase {text[span[0]:span[1]]!r}", span,
                item.hint or f"remove or reword {text[span[0]:span[1]]!r}")
    for item in spec.required:
        spans = _search(item.compiled(), text)
        if spans is None:
            timed_out(item)
        elif not spans:
            add(item.severity, "required", f"required phrase {item.label} is missing", (0, 0),
                item.hint or f"add {item.phrase or 'text matching ' + item.label}")
    if spec.disclosure is not None and context.paid:
        phrases = spec.disclosure.phrases
        if not any(_search(Phrase(phrase=p).compiled(), text) for p in phrases):
            add(spec.disclosure.severity, "disclosure",
                "paid post without a disclosure", (0, 0),
                f"add {' or '.join(repr(p) for p in phrases)} to the text")
    limits = spec.platforms.get(context.platform or "")
    if limits is not None:
        found += _platform_findings(name, limits, text, context)
    if spec.claims:
        sources = _search(compile_pattern(spec.source_pattern), text)
        for claim in spec.claims:
            spans = _search(claim.compiled(), text)
            if spans is None:
                timed_out(claim)
                continue
            if sources:
                continue
            for span in spans:
                add(claim.severity, "claim-needs-source",
                    f"claim {text[span[0]:span[1]]!r} has no source", span,
                    claim.hint or "add a source (a link or 'Source: …') or soften the claim")
    return found


def _platform_findings(name: str, limits: PlatformLimits, text: str,
                       context: TextContext) -> list[Finding]:
    found: list[Finding] = []
    platform = context.platform or ""
    if limits.max_hashtags is not None:
        tags = find_hashtags(text)
        for extra in tags[limits.max_hashtags:]:
            found.append(Finding(
                limits.severity, name, "max-hashtags",
                f"{len(tags)} hashtags on {platform}, over the {limits.max_hashtags} allowed",
                extra.start, extra.end, f"keep at most {limits.max_hashtags} hashtag(s)"))
    if limits.max_mentions is not None:
        urls = find_urls(text)
        mentions = [m.span() for m in _MENTION_RE.finditer(text)
                    if not any(u.start <= m.start() < u.end for u in urls)]
        for start, end in mentions[limits.max_mentions:]:
            found.append(Finding(
                limits.severity, name, "max-mentions",
                f"{len(mentions)} mentions on {platform}, over the {limits.max_mentions} "
                "allowed", start, end, f"keep at most {limits.max_mentions} mention(s)"))
    if limits.links != "off":
        for url in find_urls(text):
            found.append(Finding(
                limits.links, name, "link-in-caption",
                f"link {url.text!r} is not clickable in a caption on {platform}", url.start,
                url.end, "put the link in the bio or the first comment and say so "
                         "('link in bio')"))
    if limits.first_comment == "required" and not (context.first_comment or "").strip():
        found.append(Finding(limits.severity, name, "first-comment",
                             f"{platform} posts need a first comment", 0, 0,
                             "give the target a first comment (first_comment:)"))
    return found


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop scheduling (``error``)."""
    return [f for f in findings if f.blocks]


__all__ = ["DEFAULT_DISCLOSURE", "RULES", "SEVERITIES", "Finding", "NamedPolicy",
           "PolicySpec", "TextContext", "applicable", "blocking", "check_text",
           "compile_pattern"]
