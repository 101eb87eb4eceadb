"""What every analytics command filters on, from the words people type to a ``Scope``.

``--since``/``--until`` take a day (``2026-11-01``, ``today``, ``-2w``, ``mon``) or a
count of days or weeks back (``30d``, ``4w``), read in the display zone: ``since`` is
the start of its day, ``until`` the end of its day. Without them the window is the
last 30 days up to now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.core.when_relative import parse_day
from socialhub.db.queries.analytics import Scope
from socialhub.db.queries.campaigns import campaign_id_named
from socialhub.errors import NotFoundError, ValidationError
from socialhub.services.accounts.accounts import get_account
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case
from socialhub.services.platform_names import known_platforms

DEFAULT_DAYS = 30
_BACK = re.compile(r"^(\d{1,4})([dw])$")


@dataclass(frozen=True)
class Filters:
    """The filters as typed: each None when not given."""

    since: str | None = None
    until: str | None = None
    platform: str | None = None
    account: str | None = None
    campaign: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class Window:
    """A resolved scope with the zone and the instants it was read in."""

    scope: Scope
    zone: str
    since: datetime
    until: datetime

    def describe(self) -> dict[str, Any]:
        """The window as output shows it (instants in UTC, the zone's name)."""
        return {"since": self.since, "until": self.until, "zone": self.zone}


def _day(text: str, today: date, what: str) -> date:
    match = _BACK.match(text.strip().lower())
    if match:
        n = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        return today - timedelta(days=n)
    try:
        return parse_day(text, today)
    except ValidationError as exc:
        raise ValidationError(f"{what}: {exc.message}",
                              hint="a day (2026-11-01, today, mon, -2w) or 30d / 4w back"
                              ) from None


@use_case(Permission.ANALYTICS_READ)
def resolve(ctx: Ctx, filters: Filters) -> Window:
    """The ``Scope`` the filters describe, in the organization of ``ctx``.

    Raises:
        ValidationError: a day, zone or network that does not read, or since ≥ until.
        NotFoundError: the account or campaign does not exist.
    """
    zone_name = filters.zone or display_zone(ctx.settings)
    zone = load_zone(zone_name)
    now = ctx.now()
    today = now.astimezone(zone).date()
    try:  # a day at the calendar's very edge (9999-12-31, 0001-01-01) has no instant
        if filters.since is not None:
            since_day = _day(filters.since, today, "--since")
            since = datetime.combine(since_day, time(), zone).astimezone(UTC)
        else:
            since = datetime.combine(today - timedelta(days=DEFAULT_DAYS - 1), time(),
                                     zone).astimezone(UTC)
        if filters.until is not None:
            until_day = _day(filters.until, today, "--until") + timedelta(days=1)
            until = datetime.combine(until_day, time(), zone).astimezone(UTC)
        else:
            until = now
    except OverflowError:
        raise ValidationError("--since/--until: a day out of range",
                              hint="a day between the years 1 and 9999") from None
    if since >= until:
        raise ValidationError("--since must be before --until",
                              hint="e.g. --since 2026-11-01 --until 2026-11-30")
    if filters.platform is not None and filters.platform not in known_platforms():
        raise ValidationError(f"unknown network {filters.platform!r}",
                              hint="one of: " + ", ".join(known_platforms()))
    account_id = (get_account(ctx.session, ctx.org_id, filters.account).id
                  if filters.account is not None else None)
    campaign_id = None
    if filters.campaign is not None:
        campaign_id = campaign_id_named(ctx.session, ctx.org_id, filters.campaign)
        if campaign_id is None:
            raise NotFoundError(f"no campaign named {filters.campaign!r}",
                                hint="see `socialhub campaigns list`")
    scope = Scope(org_id=ctx.org_id, since=since, until=until, platform=filters.platform,
                  account_id=account_id, campaign_id=campaign_id)
    return Window(scope=scope, zone=zone_name, since=since, until=until)
