"""Experiments: list them, judge them on the collected metrics, promote a winner.

An experiment is written by ``apply`` (``kind: Experiment``); each arm is a post
that goes out like any other, and the analytics collection captures its
metrics. Here the arms' counts (``db.queries.experiments.arm_counts``) meet the
statistics (``stats.judge``): each arm's rate, the probability it is best, and a
winner once every arm has its minimum sample and one is best with the required
confidence. ``promote_winner`` puts the winning arm's post into the evergreen
queue; ``record_winners`` (the daemon's ``experiments`` job) announces a winner
once, on the bus (``experiment.winner_found``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.models import Experiment
from socialhub.db.queries import experiments as queries
from socialhub.errors import ConflictError, NotFoundError
from socialhub.services.audit import record_event
from socialhub.services.authoring.evergreen import add_evergreen, evergreen_summary
from socialhub.services.context import Ctx, use_case
from socialhub.services.experiments.stats import SUCCESSES, Verdict, judge


def _get(ctx: Ctx, name: str) -> Experiment:
    found = queries.experiment_named(ctx.session, ctx.org_id, name)
    if found is None:
        raise NotFoundError(f"no experiment {name!r}",
                            hint="`socialhub experiments list` shows them; write one as "
                                 "kind: Experiment and `socialhub apply` it")
    return found


def _summary(e: Experiment) -> dict[str, Any]:
    return {"name": e.name, "campaign": e.campaign.name if e.campaign else None,
            "metric": e.metric, "split": e.split, "min_sample": e.min_sample,
            "confidence": e.confidence, "status": e.status, "winner": e.winner,
            "promoted_at": e.promoted_at,
            "arms": [{"name": a.name, "post": a.post.name} for a in e.arms]}


def evaluate(session: Any, e: Experiment) -> tuple[dict[str, Any], Verdict]:
    """An experiment's summary with each arm's counts, and its verdict (reads only)."""
    counts = queries.arm_counts(session, [a.id for a in e.arms])
    verdict = judge(e.metric, [(a.name, counts[a.id]) for a in e.arms],
                    min_sample=e.min_sample, confidence=e.confidence)
    data = _summary(e)
    results = {r.name: r for r in verdict.arms}
    data["arms"] = [{**arm, **{k: v for k, v in counts[a.id].items()},
                     **results[a.name].as_dict()}
                    for arm, a in zip(data["arms"], e.arms, strict=True)]
    data["counts"] = SUCCESSES[e.metric]  # what an arm's successes are
    data["verdict"] = verdict.summary
    data["best"] = verdict.winner
    return data, verdict


@use_case(Permission.EXPERIMENTS_READ)
def list_experiments(ctx: Ctx, *, campaign: str | None = None) -> list[dict[str, Any]]:
    """Every experiment (of ``campaign`` when given) with its settings and arms, by name."""
    rows = queries.experiments_in_order(ctx.session, ctx.org_id)
    return [_summary(e) for e in rows
            if campaign is None or (e.campaign is not None and e.campaign.name == campaign)]


@use_case(Permission.EXPERIMENTS_READ)
def experiment_report(ctx: Ctx, name: str) -> dict[str, Any]:
    """One experiment judged now: its settings, each arm's posts out, impressions,
    successes, rate with a 95% credible interval, P(best) and what it still misses, and
    the ``verdict`` line ("winner: …" or "no winner yet: …"); ``best`` is the winning
    arm or None.

    Raises:
        NotFoundError: no such experiment.
    """
    data, _verdict = evaluate(ctx.session, _get(ctx, name))
    return data


@use_case(Permission.EXPERIMENTS_READ)
def campaign_experiments(ctx: Ctx, campaign_id: int) -> list[dict[str, Any]]:
    """Every experiment of a campaign, judged now (for the campaign report)."""
    return [evaluate(ctx.session, e)[0]
            for e in queries.experiments_in_order(ctx.session, ctx.org_id,
                                                  campaign_id=campaign_id)]


@use_case(Permission.EXPERIMENTS_MANAGE)
def record_winners(ctx: Ctx) -> list[dict[str, Any]]:
    """Record the winner of each running experiment that has one now, once: the
    experiment's ``winner`` is set and ``experiment.winner_found`` published.

    Returns the experiments that got a winner in this call (name, winner, verdict).
    """
    found = []
    for e in queries.experiments_in_order(ctx.session, ctx.org_id):
        if e.status != "running" or e.winner is not None:
            continue
        _data, verdict = evaluate(ctx.session, e)
        if verdict.winner is None:
            continue
        e.winner = verdict.winner
        record_event(ctx.session, ctx.org_id, "find_winner", "Experiment", record_id=e.id,
                     name=e.name, change={"winner": verdict.winner, "verdict": verdict.summary,
                                          "metric": e.metric})
        found.append({"name": e.name, "winner": verdict.winner, "verdict": verdict.summary})
    return found


@use_case(Permission.EXPERIMENTS_MANAGE)
def promote_winner(ctx: Ctx, name: str, *, cooldown_days: int = 7, times: int | None = None,
                   until: datetime | None = None) -> dict[str, Any]:
    """Put the winning arm's post into the evergreen queue and mark the experiment
    ``promoted`` (``experiment.promoted`` on the bus).

    Returns:
        ``experiment``, ``winner``, ``post``, ``verdict`` and the ``evergreen`` entry.

    Raises:
        NotFoundError: no such experiment.
        ConflictError: no winner yet (the message says what is missing), or already
            promoted.
        ValidationError: a bad cooldown, count or end date (as ``evergreen add``).
    """
    e = _get(ctx, name)
    if e.status == "promoted":
        raise ConflictError(f"experiment {name} was already promoted (winner {e.winner})")
    data, verdict = evaluate(ctx.session, e)
    if verdict.winner is None:
        raise ConflictError(f"experiment {name} has no winner to promote: {verdict.summary}",
                            hint=f"`socialhub experiments status {name}` shows each arm")
    arm = next(a for a in e.arms if a.name == verdict.winner)
    entry = add_evergreen(ctx, arm.post.name, cooldown_days=cooldown_days, times=times,
                          until=until)
    e.winner, e.status, e.promoted_at = verdict.winner, "promoted", ctx.now()
    record_event(ctx.session, ctx.org_id, "promote", "Experiment", record_id=e.id,
                 name=e.name, change={"winner": verdict.winner, "post": arm.post.name,
                                      "verdict": verdict.summary})
    return {"experiment": e.name, "winner": verdict.winner, "post": arm.post.name,
            "verdict": data["verdict"], "evergreen": evergreen_summary(entry, ctx.now())}
