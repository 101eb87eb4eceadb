"""``socialhub experiments``: A/B tests of a post's texts, judged on collected metrics."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, plain
from socialhub.cli.evergreen import CooldownOption, TimesOption, UntilOption, parse_until

app = typer.Typer(
    help="A/B tests of a post's texts: each arm's numbers, P(best), the winner.\n\n"
    "Experiments are `kind: Experiment` manifests (`socialhub apply experiment.yaml`): "
    "two or more arms split across accounts or time slots, a metric (likes, clicks, "
    "engagement_rate, ctr; each per impression), a minimum sample of impressions per "
    "arm and a confidence. Their arms go out like any post and the daemon collects "
    "their metrics; `status` and `report` say \"no winner yet\" until every arm has "
    "its sample and one is best with that confidence.\n\n"
    "Example: socialhub experiments status spring-hook",
    short_help="A/B tests of a post's texts: arms, P(best), the winner.",
    no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The experiment's name (metadata.name).")]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option("--campaign",
                                                 help="Only this campaign's.")] = None,
    json_: JsonOption = False,
) -> None:
    """List the experiments: metric, split, sample, arms, status.

    Example: socialhub experiments list --campaign spring
    """
    from socialhub.services.experiments.experiments import list_experiments

    with get_hub().context("cli") as ctx:
        rows = list_experiments(ctx, campaign=campaign)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no experiments yet (see docs/campaigns.md#experiments)")
    for e in rows:
        arms = ", ".join(a["name"] for a in e["arms"])
        won = f", winner {e['winner']}" if e["winner"] else ""
        plain(f"{e['name']}: {e['metric']} by {e['split']}, min {e['min_sample']:,} "
              f"impressions/arm, P ≥ {e['confidence']:g} [{arms}] — {e['status']}{won}")


def _judged(name: str) -> dict[str, Any]:
    from socialhub.services.experiments.experiments import experiment_report

    with get_hub().context("cli") as ctx:
        return experiment_report(ctx, name)


@app.command("status")
def status(name: NameArg, json_: JsonOption = False) -> None:
    """Each arm's impressions, rate and P(best); the verdict.

    The last line is the verdict: "winner: ARM (…)" or "no winner yet: …".

    Example: socialhub experiments status spring-hook
    """
    data = _judged(name)
    if json_:
        emit_json(data)
        return
    for a in data["arms"]:
        p = "—" if a["p_best"] is None else f"{a['p_best']:.3f}"
        plain(f"{a['name']}: {a['impressions']:,} impressions, {a['successes']:,} "
              f"{data['counts']}, rate {_pct(a['rate'])}, P(best) {p}")
    plain(data["verdict"])


@app.command("report")
def report(name: NameArg, json_: JsonOption = False) -> None:
    """Settings, each arm's posts, counts, 95% interval and P(best).

    Example: socialhub experiments report spring-hook --json
    """
    data = _judged(name)
    if json_:
        emit_json(data)
        return
    campaign = f" (campaign {data['campaign']})" if data["campaign"] else ""
    plain(f"experiment {data['name']}{campaign}: {data['metric']} per impression, "
          f"split by {data['split']}, min {data['min_sample']:,} impressions per arm, "
          f"winner needs P(best) ≥ {data['confidence']:g}; {data['status']}")
    for a in data["arms"]:
        interval = ("" if a["low"] is None else
                    f" (95% interval {_pct(a['low'])}–{_pct(a['high'])})")
        p = "—" if a["p_best"] is None else f"{a['p_best']:.3f}"
        where = ", ".join(a["accounts"]) or "not published yet"
        plain(f"  {a['name']} — post {a['post']} on {where}: {a['published']} out, "
              f"{a['impressions']:,} impressions, {a['likes']:,} likes, "
              f"{a['clicks']:,} {'click' if a['clicks'] == 1 else 'clicks'}; "
              f"rate {_pct(a['rate'])}{interval}; P(best) {p}"
              + (f"; needs {a['missing']:,} more impressions" if a["missing"] else ""))
    plain(data["verdict"])


@app.command("promote")
def promote(
    name: NameArg,
    cooldown: CooldownOption = 7,
    times: TimesOption = None,
    until: UntilOption = None,
    json_: JsonOption = False,
) -> None:
    """Send the winning arm's post to the evergreen queue.

    Refused (exit 6) while there is no winner; the message says what is missing.

    Example: socialhub experiments promote spring-hook --cooldown 14 --times 6
    """
    from socialhub.services.experiments.experiments import promote_winner

    end = parse_until(until)
    with get_hub().context("cli") as ctx:
        data = promote_winner(ctx, name, cooldown_days=cooldown, times=times, until=end)
    if json_:
        emit_json(data)
        return
    info(f"promoted {data['winner']} of {data['experiment']}: post {data['post']} is in the "
         f"evergreen queue (every {cooldown} day(s) at the earliest)")
