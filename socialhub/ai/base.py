"""The provider interface and the plain data that crosses it.

A provider turns an idea into drafts (``generate``, streamed one draft at a
time), rewrites a draft by an instruction, and shortens a draft that came back
too long. Providers know nothing of the database: each call is reported to a
``UsageLog`` that the service stores, and the log enforces the monthly budget
before any paid call leaves the machine.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from socialhub.core.platform_rules import PlatformRules
from socialhub.errors import BudgetError


class ProviderError(BudgetError):
    """A provider failed for good: timeout, 5xx after retries, rejected key, or garbage.

    ``partial`` holds the drafts that did arrive before the failure.
    """

    def __init__(self, message: str, *, hint: str | None = None,
                 partial: list[Draft] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.partial = list(partial or [])


@dataclass(frozen=True)
class VoiceBrief:
    """What a provider needs to know of a voice profile."""

    name: str
    description: str | None = None
    tone: list[str] = field(default_factory=list)
    formality: int | None = None
    emoji_use: str | None = None
    phrases_use: list[str] = field(default_factory=list)
    phrases_avoid: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    statistics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for scoring and templates)."""
        return asdict(self)


@dataclass(frozen=True)
class Target:
    """One account to write for, with the rules its platform counts by.

    Attributes:
        ref: The account (``platform:@handle``).
        rules: Its platform's text rules (the caller looks them up by name).
        limit: The length limit in force (an account's own, e.g. an instance's, or the
            platform's default).
        hashtags: How many hashtags a draft should carry at most.
    """

    ref: str
    rules: PlatformRules
    limit: int
    hashtags: int

    @property
    def platform(self) -> str:
        """The platform's lowercase name."""
        return self.rules.platform

    @property
    def unit(self) -> str:
        """What length is counted in on the platform."""
        return self.rules.unit

    @property
    def supports_threads(self) -> bool:
        """Whether a draft may become a thread."""
        return self.rules.supports_threads


@dataclass
class Draft:
    """One generated text for one target (``n`` counts variants from 1)."""

    target: str
    n: int
    text: str
    thread: list[str] = field(default_factory=list)
    provider: str = "offline"
    notes: list[str] = field(default_factory=list)

    @property
    def parts(self) -> list[str]:
        """What goes out: the thread when split, else the text."""
        return self.thread or [self.text]


@dataclass
class Usage:
    """One provider call, as stored in ``AIUsage``."""

    provider: str
    model: str
    task: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: int = 0
    ok: bool = True


class UsageLog:
    """Collects the calls of one operation and refuses paid calls over the monthly budget."""

    def __init__(self, *, budget_usd: float | None = None, spent_usd: float = 0.0) -> None:
        self.budget_usd = budget_usd
        self.spent_before = spent_usd
        self.calls: list[Usage] = []

    @property
    def spent_usd(self) -> float:
        """Spend this month including the calls made so far in this operation."""
        return self.spent_before + sum(u.cost_usd for u in self.calls)

    def check(self) -> None:
        """Raise before a paid call when the monthly budget is spent.

        Raises:
            BudgetError: the spend has reached ``ai.monthly_budget_usd``.
        """
        if self.budget_usd is not None and self.spent_usd >= self.budget_usd:
            raise BudgetError(
                f"the monthly AI budget of ${self.budget_usd:.2f} is spent "
                f"(${self.spent_usd:.4f} used this month)",
                hint="raise ai.monthly_budget_usd, wait for next month, or use --provider offline")

    def record(self, usage: Usage) -> None:
        """Add one call."""
        self.calls.append(usage)


OnDraft = Callable[[Draft], None]


class Provider(abc.ABC):
    """An engine that writes drafts. Implementations: ``offline`` and ``anthropic``."""

    name: str = ""
    model: str = ""

    @abc.abstractmethod
    def generate(self, idea: str, targets: list[Target], voice: VoiceBrief | None, *,
                 variants: int, usage: UsageLog, on_draft: OnDraft | None = None,
                 brief: Mapping[str, Any] | None = None) -> list[Draft]:
        """Write ``variants`` drafts per target; call ``on_draft`` as each is ready.

        ``brief`` is a campaign's brief (topic, audience, tone, key messages,
        constraints, paid…) to write within, when the post belongs to one.

        Raises:
            ProviderError: the provider failed; ``partial`` holds what arrived.
            BudgetError: the monthly budget is spent.
        """

    @abc.abstractmethod
    def rewrite(self, text: str, target: Target, voice: VoiceBrief | None, instruction: str, *,
                usage: UsageLog) -> Draft:
        """Rewrite ``text`` for ``target`` following ``instruction``."""

    def translate(self, text: str, target: Target, voice: VoiceBrief | None, language: str, *,
                  usage: UsageLog) -> Draft:
        """Translate ``text`` into ``language`` (BCP 47) for ``target``, in the voice.

        Raises:
            ProviderError: the provider cannot translate (the offline engine never
                pretends to) or failed.
        """
        raise ProviderError(f"the {self.name} engine cannot translate",
                            hint="use --provider anthropic with an API key")

    @abc.abstractmethod
    def shorten(self, text: str, target: Target, voice: VoiceBrief | None, length: int, *,
                usage: UsageLog) -> str:
        """Ask once for a version of ``text`` that fits ``target.limit`` (was ``length``)."""
