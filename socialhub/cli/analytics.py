"""``socialhub analytics``: what your posts earned, compared, ranked, and when to post.

Every command reads the window ``--since``/``--until`` (default: the last 30 days),
narrowed by ``--platform``, ``--account`` and ``--campaign``, and prints a table,
``--json`` or ``--csv``. See docs/analytics.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from socialhub.cli.analytics_output import (
    METRICS,
    CsvOption,
    emit,
    output_format,
    posts_table,
    totals_table,
    window_line,
)
from socialhub.cli.common import JsonOption, emit_json, get_hub, info, warn

if TYPE_CHECKING:
    from socialhub.services.analytics.filters import Filters

app = typer.Typer(
    short_help="What your posts earned, best times, gaps.",
    help="What your posts earned: overview, posts, top, compare, accounts, best times, "
         "gaps, and importing past posts. Absent metrics (a network that does not give "
         "them) show as —, never 0. Engagement rate = (likes + replies + reposts + quotes "
         "+ saves + clicks) / impressions.",
    no_args_is_help=True)

Since = Annotated[str | None, typer.Option(
    "--since", help="First day: 2026-11-01, today, mon, -2w, or 30d / 4w back "
                    "(default: 30 days ago).")]
Until = Annotated[str | None, typer.Option(
    "--until", help="Last day, included (default: now).")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="Only this network.")]
AccountOpt = Annotated[str | None, typer.Option("--account", help="Only this account.")]
CampaignOpt = Annotated[str | None, typer.Option("--campaign", help="Only this campaign.")]
ZoneOpt = Annotated[str | None, typer.Option(
    "--zone", help="IANA zone days are read in (default: the display zone).")]

TOTAL_COLUMNS = ["key", "posts", *METRICS, "engagement_rate"]
POST_COLUMNS = ["published_at", "account", "post", "text", "campaign", "url", *METRICS,
                "engagement_rate", "captured_at"]


def _filters(since: str | None, until: str | None, platform: str | None,
             account: str | None, campaign: str | None, zone: str | None = None) -> Filters:
    from socialhub.services.analytics.filters import Filters

    return Filters(since=since, until=until, platform=platform, account=account,
                   campaign=campaign, zone=zone)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with get_hub().context("cli") as ctx:
        return fn(ctx, *args, **kwargs)


@app.command("overview")
def overview(since: Since = None, until: Until = None, platform: PlatformOpt = None,
             account: AccountOpt = None, campaign: CampaignOpt = None, zone: ZoneOpt = None,
             json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """Show totals, a daily trend, each network, followers.

    --csv prints the per-day rows.

    Example: socialhub analytics overview --since 4w --platform bluesky
    """
    from socialhub.cli.analytics_output import overview_tables
    from socialhub.services.analytics.reports import overview as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone))
    emit(fmt, data, data["daily"], ["period", "posts", *METRICS, "engagement_rate"],
         lambda: overview_tables(data))


@app.command("posts")
def posts(since: Since = None, until: Until = None, platform: PlatformOpt = None,
          account: AccountOpt = None, campaign: CampaignOpt = None, zone: ZoneOpt = None,
          limit: Annotated[int, typer.Option("--limit", help="At most this many posts.")] = 50,
          json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """List published posts with their newest metrics."""
    from socialhub.services.analytics.reports import posts as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone), limit=limit)
    emit(fmt, data, data["posts"], POST_COLUMNS,
         lambda: posts_table(f"Posts, {window_line(data)}", data["posts"], data["formula"]))


@app.command("top")
def top(by: Annotated[str, typer.Option(
            "--by", help="likes, replies, reposts, quotes, clicks, saves, impressions or "
                         "engagement (the rate).")] = "engagement",
        limit: Annotated[int, typer.Option("--limit", help="How many posts.")] = 10,
        since: Since = None, until: Until = None, platform: PlatformOpt = None,
        account: AccountOpt = None, campaign: CampaignOpt = None, zone: ZoneOpt = None,
        json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """Rank posts by a metric or the engagement rate.

    Posts without that metric come last.

    Example: socialhub analytics top --by likes --limit 5 --since 90d
    """
    from socialhub.services.analytics.reports import top as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone), by=by,
                limit=limit)
    emit(fmt, data, data["posts"], POST_COLUMNS,
         lambda: posts_table(f"Top {limit} by {by}, {window_line(data)}", data["posts"],
                             data["formula"], highlight=by))


@app.command("compare")
def compare(by: Annotated[str, typer.Option(
                "--by", help="platform, account, campaign or tag.")] = "platform",
            period: Annotated[str | None, typer.Option(
                "--period", help="Also split by day, week or month of publishing (UTC).")
            ] = None,
            since: Since = None, until: Until = None, platform: PlatformOpt = None,
            account: AccountOpt = None, campaign: CampaignOpt = None, zone: ZoneOpt = None,
            json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """Compare networks, accounts, campaigns or tags.

    Example: socialhub analytics compare --by campaign --period week
    """
    from socialhub.services.analytics.reports import compare as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone), by=by,
                period=period)
    labelled = [{**r, "key": f"{r['period']} {r['key']}" if period else r["key"]}
                for r in data["rows"]]
    columns = (["period"] if period else []) + TOTAL_COLUMNS
    emit(fmt, data, data["rows"], columns,
         lambda: totals_table(f"By {by}{f' and {period}' if period else ''}, "
                              f"{window_line(data)}", labelled, by, data["formula"]))


@app.command("accounts")
def accounts(since: Since = None, until: Until = None, platform: PlatformOpt = None,
             account: AccountOpt = None, campaign: CampaignOpt = None, zone: ZoneOpt = None,
             json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """Show each account's results and followers."""
    from socialhub.cli.analytics_output import BAR_DROP
    from socialhub.cli.charts import count, rate, sparkline
    from socialhub.cli.common import out
    from socialhub.cli.fit_table import Column, fitted_table
    from socialhub.services.analytics.reports import accounts as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone))

    def table() -> None:
        # On a narrow terminal impressions, then the post count, leave before a handle
        # would be folded: followers and their change are what this table is for.
        columns = [Column("account", "left", wrap=True), Column("posts", drop=1),
                   Column("likes"), Column("impressions", drop=2), Column("engagement"),
                   Column("followers"),
                   Column("change"),
                   Column("trend", "left", drop=BAR_DROP, called="the followers trend")]
        cells = [[r["account"], count(r["posts"]), count(r["likes"]), count(r["impressions"]),
                  rate(r["engagement_rate"]), count(r["followers"]),
                  "—" if r["followers_delta"] is None else f"{r['followers_delta']:+,}",
                  sparkline(r["followers_series"], from_zero=False)]
                 for r in data["accounts"]]
        out().print(fitted_table(f"Accounts, {window_line(data)}", data["formula"], columns,
                                 cells, out().width))

    emit(fmt, data, data["accounts"],
         ["account", "posts", *METRICS, "engagement_rate", "followers", "following",
          "followers_delta"], table)


@app.command("best-times")
def best_times(since: Annotated[str | None, typer.Option(
                   "--since", help="First day of history to learn from (default: 26w).")
               ] = None,
               until: Until = None, platform: PlatformOpt = None, account: AccountOpt = None,
               campaign: CampaignOpt = None, zone: ZoneOpt = None,
               min_posts: Annotated[int, typer.Option(
                   "--min-posts", help="Posts a cell needs to count as a best time.")] = 3,
               json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """Show when your posts did best (weekday × hour).

    Each cell shows its sample size.

    Learned from your own published (and imported) posts. Turn it into posting
    slots with `socialhub slots suggest ACCOUNT`.

    Example: socialhub analytics best-times --account bluesky:@shop.example.com --zone Europe/Berlin
    """
    from socialhub.cli.analytics_output import best_times_table
    from socialhub.services.analytics.best_times import best_times as run

    fmt = output_format(json_, csv_)
    data = _run(run, _filters(since, until, platform, account, campaign, zone),
                min_posts=min_posts)
    emit(fmt, data, data["cells"],
         ["day", "hour", "posts", "mean_interactions", "mean_engagement_rate"],
         lambda: best_times_table(data))


@app.command("gaps")
def gaps(since: Annotated[str | None, typer.Option(
             "--since", help="First day (default: today).")] = None,
         until: Annotated[str | None, typer.Option(
             "--until", help="Last day (default: 13 days after today).")] = None,
         platform: PlatformOpt = None, account: AccountOpt = None, zone: ZoneOpt = None,
         json_: JsonOption = False, csv_: CsvOption = False) -> None:
    """List days and networks with nothing planned.

    Example: socialhub analytics gaps --until +4w
    """
    from socialhub.cli.analytics_output import gaps_table
    from socialhub.services.analytics.gaps import planning_gaps

    fmt = output_format(json_, csv_)
    data = _run(planning_gaps, _filters(since, until, platform, account, None, zone))
    emit(fmt, data, data["gaps"], ["day", "weekday", "platform"], lambda: gaps_table(data))


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(
                help="A .csv with the header account,published_at,text,url,impressions,"
                     "likes,replies,reposts,quotes,clicks,saves (or the same rows as "
                     ".json), or a network's own export: X tweet activity or content, "
                     "Meta Business Suite Facebook or Instagram posts.",
                metavar="FILE")],
            account: Annotated[str | None, typer.Option(
                "--account", help="The account (platform:@handle) of rows that do not "
                                  "name one; required for a Facebook export.")] = None,
            zone: Annotated[str | None, typer.Option(
                "--zone", help="IANA zone of export times without an offset (Meta's); "
                               "default: the display zone.")] = None,
            json_: JsonOption = False) -> None:
    """Import past posts with their metrics.

    For best times, top and trends from day one.

    `account` is an existing platform:@handle, `published_at` ISO 8601 with an
    offset, an empty metric cell means the network did not give it. A network's
    export is recognised by its header; what it lacks stays absent. Re-importing
    the same file changes nothing; one bad row and nothing is imported.

    Example: socialhub analytics import tweet_activity.csv --account x:@shop
    """
    from socialhub.services.analytics.importing import HistoryImportError, import_history

    try:
        summary = _run(import_history, file, account=account, zone=zone)
    except HistoryImportError as exc:
        for line in exc.errors[1:]:
            warn(line)
        raise
    data = summary.__dict__
    if json_:
        emit_json(data)
        return
    rows = "1 row" if summary.rows == 1 else f"{summary.rows:,} rows"
    info(f"{summary.file}: {rows}; {summary.imported:,} imported, "
         f"{summary.updated:,} updated, {summary.unchanged:,} unchanged")


@app.command("collect")
def collect(json_: JsonOption = False) -> None:
    """Measure published posts now, without waiting for the daemon.

    The daemon does this every five minutes; a post is measured hourly in its first
    week, then daily, so a second run within the hour finds nothing due. Each network's
    failure is counted and does not stop the others.

    Example: socialhub analytics collect && socialhub experiments status spring-hook
    """
    from socialhub.services.analytics.collect import accounts_to_collect, collect_now

    hub = get_hub()
    with hub.context("cli") as ctx:
        ids = accounts_to_collect(ctx)
    counts = collect_now(hub, ids)
    if json_:
        emit_json(counts)
        return
    info(f"measured {counts['captured']} post(s) on {counts['accounts']} account(s)"
         + (f", {counts['failed']} failed" if counts["failed"] else "")
         + (f", {counts['deferred']} over the request budget (next run)"
            if counts["deferred"] else "")
         + f"; {counts['profiles']} account count(s) stored")
    if counts["failed"] and not counts["captured"]:
        raise typer.Exit(1)
