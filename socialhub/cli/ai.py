"""``socialhub ai``: what AI calls cost — tokens, dollars, latency — against the monthly budget."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, out

app = typer.Typer(help="Inspect AI usage and cost.", no_args_is_help=True)


@app.command("usage")
def usage(
    since: Annotated[str | None, typer.Option(
        "--since", help="Start date (YYYY-MM-DD, UTC); default: the first of this month.")]
    = None,
    json_: JsonOption = False,
) -> None:
    """Show AI calls, tokens and cost per provider and model; budget left.

    Example: socialhub ai usage --since 2026-01-01 --json
    """
    from socialhub.services.ai.generation import usage_report, usage_since

    start = usage_since(since)
    budget = get_config().settings.ai.monthly_budget_usd
    hub = get_hub()
    with hub.context("cli") as ctx:
        data = usage_report(ctx, since=start, budget_usd=budget)
    if json_:
        emit_json(data)
        return
    console = out()
    console.print(f"since {data['since']:%Y-%m-%d %H:%M} UTC: {data['calls']} calls, "
                  f"{data['input_tokens']} input + {data['output_tokens']} output tokens, "
                  f"${data['cost_usd']:.4f}", markup=False)
    for r in data["by_model"]:
        failed = f", {r['failed']} failed" if r["failed"] else ""
        console.print(f"  {r['provider']}/{r['model']}: {r['calls']} calls{failed}, "
                      f"{r['input_tokens']}+{r['output_tokens']} tokens, ${r['cost_usd']:.4f}, "
                      f"avg {r['avg_latency_ms']} ms", markup=False)
    if data["monthly_budget_usd"] is not None:
        console.print(f"this month: ${data['month_spend_usd']:.4f} of "
                      f"${data['monthly_budget_usd']:.2f} budget "
                      f"(${data['budget_left_usd']:.4f} left)", markup=False)
