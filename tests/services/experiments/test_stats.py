"""The Beta-binomial verdict: P(best) agrees with the exact two-arm answer, is the same on
every run, and no winner is named before every arm has its sample."""

from __future__ import annotations

from math import exp, lgamma

import pytest

from socialhub.services.experiments.stats import judge


def _lbeta(a: float, b: float) -> float:
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def exact_p_b_beats_a(a_wins: int, a_n: int, b_wins: int, b_n: int) -> float:
    """P(rate_B > rate_A) for Beta(1+wins, 1+n-wins) posteriors, in closed form
    (Evan Miller, "Formulas for Bayesian A/B testing")."""
    aa, ba = 1 + a_wins, 1 + a_n - a_wins
    ab, bb = 1 + b_wins, 1 + b_n - b_wins
    return sum(exp(_lbeta(aa + i, ba + bb) - _lbeta(1 + i, bb) - _lbeta(aa, ba)) / (bb + i)
               for i in range(ab))


def arms(*counts: tuple[str, int, int]) -> list[tuple[str, dict[str, int]]]:
    return [(name, {"impressions": n, "clicks": wins, "likes": wins, "interactions": wins})
            for name, n, wins in counts]


@pytest.mark.parametrize(("a", "b"), [((1000, 50), (1000, 62)), ((400, 12), (380, 19)),
                                      ((2000, 100), (2000, 100))],
                         ids=["close", "small", "equal"])
def test_p_best_matches_the_exact_two_arm_probability(a: tuple[int, int],
                                                      b: tuple[int, int]) -> None:
    verdict = judge("ctr", arms(("a", *a), ("b", *b)), min_sample=1, confidence=0.95)
    exact = exact_p_b_beats_a(a[1], a[0], b[1], b[0])
    assert verdict.arms[1].p_best == pytest.approx(exact, abs=0.01)
    assert sum(a.p_best or 0.0 for a in verdict.arms) == pytest.approx(1.0)


def test_the_same_counts_give_the_same_numbers_every_time() -> None:
    counts = arms(("a", 900, 40), ("b", 950, 52), ("c", 1000, 45))
    first = judge("likes", counts, min_sample=500, confidence=0.9)
    assert judge("likes", counts, min_sample=500, confidence=0.9) == first


def test_no_winner_until_every_arm_has_its_minimum_sample() -> None:
    verdict = judge("ctr", arms(("a", 5000, 500), ("b", 300, 3)), min_sample=1000,
                    confidence=0.95)
    assert verdict.winner is None
    assert verdict.summary == ("no winner yet: b needs 700 more impressions "
                               "(min_sample 1,000)")
    assert [a.missing for a in verdict.arms] == [0, 700]


def test_a_clear_difference_names_the_winner_and_a_close_one_does_not() -> None:
    clear = judge("ctr", arms(("a", 5000, 250), ("b", 5000, 400)), min_sample=1000,
                  confidence=0.95)
    assert clear.winner == "b" and clear.summary.startswith("winner: b (P(best) ")
    close = judge("ctr", arms(("a", 5000, 250), ("b", 5000, 262)), min_sample=1000,
                  confidence=0.95)
    assert close.winner is None
    assert "has P(best)" in close.summary and "below 0.95; keep collecting" in close.summary


def test_an_arm_without_impressions_has_no_rate_and_no_probability() -> None:
    verdict = judge("engagement_rate", arms(("a", 0, 0), ("b", 100, 9)), min_sample=50,
                    confidence=0.95)
    assert verdict.arms[0].rate is None and verdict.arms[0].p_best is None
    assert verdict.arms[1].rate == pytest.approx(0.09)
    assert verdict.winner is None


def test_successes_never_exceed_impressions() -> None:
    # Interactions can outnumber impressions on a network that counts them apart.
    verdict = judge("engagement_rate", arms(("a", 100, 150), ("b", 100, 10)), min_sample=1,
                    confidence=0.95)
    assert verdict.arms[0].successes == 100 and verdict.arms[0].rate == 1.0
