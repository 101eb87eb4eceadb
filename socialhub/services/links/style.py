"""Which link style applies to a variant, and its text as it will be sent.

The one place the config (``links.*``) and a campaign's own template
(``spec.utm``) meet: authoring measures ``sent_text`` against the platform's
limit, and the publishing path renders the same text with real short-link
codes (``services.links.shortening``), so what is counted is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from socialhub.config import Settings
from socialhub.core.links import LinkStyle, LinkValues, as_sent


def link_style(settings: Settings, campaign_utm: Mapping[str, Any] | None) -> LinkStyle:
    """The style in force: the campaign's template when it has one, else ``links.utm``."""
    opts = settings.links
    utm = dict(campaign_utm) if campaign_utm is not None else dict(opts.utm)
    return LinkStyle(utm=utm or None, shorten=opts.shorten, short_base=opts.short_base_url)


def sent_text(settings: Settings, *, campaign: str | None,
              campaign_utm: Mapping[str, Any] | None, post: str, platform: str,
              handle: str) -> Callable[[str], str]:
    """A function giving a part's text as it will be sent (short links as stand-ins of
    their final length), for measuring against the platform's limit."""
    style = link_style(settings, campaign_utm)
    values = LinkValues(platform=platform, campaign=campaign, post=post, account=handle)
    if not style.active:
        return lambda text: text
    return lambda text: as_sent(text, style, values)
