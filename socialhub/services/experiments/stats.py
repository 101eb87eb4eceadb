"""The verdict of an experiment: each arm's rate, the probability it is best, a winner.

Every experiment metric is a rate per impression (``likes``: likes per impression;
``clicks`` and ``ctr``: clicks per impression; ``engagement_rate``: the analytics
formula's interactions per impression), so each arm is a Beta-binomial: with a
uniform prior, its rate's posterior is ``Beta(1 + successes, 1 + impressions -
successes)``. The probability that an arm is best is estimated by drawing from
every arm's posterior at once (numpy's Beta sampler) and counting how often each
draw is the highest. The generator is seeded, so the same counts always give the
same numbers.

A winner needs both: every arm has at least ``min_sample`` impressions, and one
arm is best with probability at least ``confidence``. Until then the verdict is
"no winner yet", with what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Draws per arm: the probabilities are within about ±0.003 of the exact value.
DRAWS = 100_000
#: The generator's seed: the same counts give the same probabilities on every run.
SEED = 17
#: What each metric counts as a success of an impression.
SUCCESSES = {"likes": "likes", "clicks": "clicks", "ctr": "clicks",
             "engagement_rate": "interactions"}


@dataclass(frozen=True)
class ArmResult:
    """One arm's numbers: trials, successes, the observed rate, its 95% credible
    interval and the probability that it is the best arm."""

    name: str
    impressions: int
    successes: int
    rate: float | None
    low: float | None
    high: float | None
    p_best: float | None
    missing: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and the report."""
        return {"name": self.name, "impressions": self.impressions,
                "successes": self.successes, "rate": self.rate, "low": self.low,
                "high": self.high, "p_best": self.p_best, "missing": self.missing}


@dataclass(frozen=True)
class Verdict:
    """The arms' results and the decision: ``winner`` (an arm's name) or None, and a
    one-line ``summary`` a person reads ("no winner yet: …")."""

    arms: list[ArmResult]
    winner: str | None
    summary: str


def successes_of(metric: str, counts: Mapping[str, int]) -> int:
    """The successes ``metric`` counts in an arm's ``counts`` (never above impressions)."""
    return min(int(counts[SUCCESSES[metric]]), int(counts["impressions"]))


def judge(metric: str, arms: Sequence[tuple[str, Mapping[str, int]]], *, min_sample: int,
          confidence: float) -> Verdict:
    """Each arm's rate and probability of being best for ``metric``, and the winner.

    Args:
        metric: ``likes``, ``clicks``, ``ctr`` or ``engagement_rate``.
        arms: ``(arm name, counts)`` with ``impressions`` and the metric's successes.
        min_sample: Impressions every arm needs before a winner can be named.
        confidence: The probability of being best a winner needs (e.g. 0.95).
    """
    import numpy as np  # here: the daemon and the CLI load this module without judging

    names = [name for name, _c in arms]
    trials = np.array([int(c["impressions"]) for _n, c in arms], dtype=np.int64)
    wins = np.array([successes_of(metric, c) for _n, c in arms], dtype=np.int64)
    rng = np.random.default_rng(SEED)
    draws = rng.beta(1 + wins[:, None], 1 + (trials - wins)[:, None],
                     size=(len(arms), DRAWS))
    best = np.bincount(np.argmax(draws, axis=0), minlength=len(arms)) / DRAWS
    low, high = np.quantile(draws, [0.025, 0.975], axis=1)
    measured = trials > 0
    results = [ArmResult(name=names[i], impressions=int(trials[i]), successes=int(wins[i]),
                         rate=float(wins[i] / trials[i]) if measured[i] else None,
                         low=float(low[i]) if measured[i] else None,
                         high=float(high[i]) if measured[i] else None,
                         p_best=float(best[i]) if measured.all() else None,
                         missing=max(0, min_sample - int(trials[i])))
               for i in range(len(arms))]
    short = [r for r in results if r.missing]
    if short:
        need = ", ".join(f"{r.name} needs {r.missing:,} more impressions" for r in short)
        return Verdict(results, None, f"no winner yet: {need} (min_sample {min_sample:,})")
    top = max(results, key=lambda r: r.p_best or 0.0)
    if (top.p_best or 0.0) >= confidence:
        return Verdict(results, top.name,
                       f"winner: {top.name} (P(best) {top.p_best:.3f} ≥ {confidence:g})")
    return Verdict(results, None,
                   f"no winner yet: the best arm, {top.name}, has P(best) {top.p_best:.3f}, "
                   f"below {confidence:g}; keep collecting")
