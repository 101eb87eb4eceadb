"""The daily digest: one local day's posts and what they earned, and its problems.

``daily_digest`` gathers a day (yesterday in the display zone unless told): the posts
published that day with their newest metrics and totals, deliveries that failed or
died, accounts that need signing in again and the alerts raised. ``digest_text`` and
``digest_html`` render it for ``socialhub digest``, the daemon's morning mail and the
``digest`` webhook.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.core.when_relative import parse_day
from socialhub.db.queries import alerts as alert_queries
from socialhub.db.queries.analytics import ENGAGEMENT_FORMULA, Scope, fold_rows, post_rows
from socialhub.errors import ValidationError
from socialhub.services.analytics.figures import count, preview, rate
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case

FORMATS: tuple[str, ...] = ("text", "html")


@use_case(Permission.ANALYTICS_READ)
def daily_digest(ctx: Ctx, day: str | None = None) -> dict[str, Any]:
    """The digest of ``day`` (a day as ``--date`` reads it: 2026-12-05, yesterday, mon…;
    default yesterday) in the display zone.

    Returns:
        ``date``, ``zone``, ``since``/``until`` (UTC), ``formula``, ``totals``, ``posts``
        (best first by interactions), ``failures``, ``needs_reauth``, ``alerts``.

    Raises:
        ValidationError: ``day`` does not read as a day.
    """
    zone_name = display_zone(ctx.settings)
    zone = load_zone(zone_name)
    today = ctx.now().astimezone(zone).date()
    the_day = today - timedelta(days=1) if day is None else _day(day, today)
    since = datetime.combine(the_day, time(), zone).astimezone(UTC)
    until = datetime.combine(the_day + timedelta(days=1), time(), zone).astimezone(UTC)
    rows = post_rows(ctx.session, Scope(org_id=ctx.org_id, since=since, until=until),
                     rank_by="likes")
    return {"date": the_day, "zone": zone_name, "since": since, "until": until,
            "formula": ENGAGEMENT_FORMULA, "totals": fold_rows(rows), "posts": rows,
            "failures": alert_queries.failed_deliveries(ctx.session, ctx.org_id, since,
                                                        until),
            "needs_reauth": alert_queries.accounts_needing_reauth(ctx.session, ctx.org_id),
            "alerts": alert_queries.alerts_between(ctx.session, ctx.org_id, since, until)}


def _day(text: str, today: date) -> date:
    if text.strip().lower() == "yesterday":
        return today - timedelta(days=1)
    try:
        return parse_day(text, today)
    except ValidationError as exc:
        raise ValidationError(f"--date: {exc.message}",
                              hint="a day: 2026-12-05, yesterday, today, mon") from None


def digest_subject(data: dict[str, Any]) -> str:
    """The mail subject: the day and its counts."""
    problems = len(data["failures"]) + len(data["needs_reauth"])
    return (f"socialhub digest {data['date']:%a %Y-%m-%d}: {data['totals']['posts']} posts, "
            f"{problems} problem{'s' if problems != 1 else ''}")


def digest_text(data: dict[str, Any]) -> str:
    """The digest as plain text (the mail's text part and ``digest --format text``)."""
    totals = data["totals"]
    lines = [digest_subject(data), f"(days in {data['zone']})", "",
             f"Published: {totals['posts']} posts; likes {count(totals['likes'])}, replies "
             f"{count(totals['replies'])}, reposts {count(totals['reposts'])}, impressions "
             f"{count(totals['impressions'])}, engagement {rate(totals['engagement_rate'])}"]
    for row in data["posts"]:
        lines.append(f"  - {row['post']} on {row['account']} ({preview(row['text'])}): "
                     f"likes {count(row['likes'])}, "
                     f"replies {count(row['replies'])}, reposts {count(row['reposts'])}"
                     + (f" {row['url']}" if row["url"] else ""))
    lines += ["", f"Problems: {len(data['failures']) + len(data['needs_reauth'])}"]
    lines += [f"  - {f['post']} to {f['account']} {f['status']}: {f['error'] or '—'}"
              for f in data["failures"]]
    lines += [f"  - {a['account']} needs signing in again: {a['reason'] or '—'}"
              for a in data["needs_reauth"]]
    if data["alerts"]:
        lines += ["", f"Alerts: {len(data['alerts'])}"]
        lines += [f"  - {a['message']}" for a in data["alerts"]]
    lines += ["", data["formula"]]
    return "\n".join(lines) + "\n"


def digest_html(data: dict[str, Any]) -> str:
    """The digest as an HTML page (the mail's HTML part and ``digest --format html``)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("socialhub.services.analytics", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(count=count, rate=rate, preview=preview)
    return env.get_template("digest.html.j2").render(
        d=data, subject=digest_subject(data))
