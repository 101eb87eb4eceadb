"""Links in a post as they will be sent: UTM tags and first-party short links.

Pure: the standard library and the URL finder of ``text_entities``. Tagging and
shortening happen when a variant is rendered for delivery (the stored text is
what the author wrote); the same functions give the text that is measured
against the platform's limit when a post is written, scheduled or applied, so
what is counted is what is sent (``as_sent``).

A UTM template maps query parameters to values that may hold placeholders
(``{platform}``, ``{campaign}``, ``{variant}``, ``{account}``, ``{post}``).
Parameters already in a URL win over the template: an author who wrote
``utm_source=newsletter`` keeps it. Existing query parameters and the fragment
are kept as written.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from socialhub.core.text_entities import find_web_links

#: The placeholders a UTM template may use.
PLACEHOLDERS: tuple[str, ...] = ("platform", "campaign", "variant", "account", "post")

#: The default template (config ``links.utm``): source = platform, medium = social,
#: campaign = the campaign's name, content = the variant.
DEFAULT_UTM: dict[str, str] = {"utm_source": "{platform}", "utm_medium": "social",
                               "utm_campaign": "{campaign}", "utm_content": "{variant}"}

#: Characters of a short link's code (``secrets.token_urlsafe(6)``: 48 random bits).
CODE_LENGTH = 8
CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: The path prefix the daemon serves short links under.
SHORT_PATH = "/l/"

_PARAM_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SLUG_RE = re.compile(r"[^A-Za-z0-9._-]+")


def template_errors(template: Mapping[str, object]) -> list[tuple[str, str]]:
    """Problems of a UTM template, each as ``(parameter, message)``; empty when valid.

    A parameter name is letters, digits, ``_``, ``.`` or ``-``; a value is text
    whose ``{placeholders}`` are among :data:`PLACEHOLDERS` (``{{`` and ``}}``
    are literal braces).
    """
    problems: list[tuple[str, str]] = []
    for key, value in template.items():
        if not isinstance(key, str) or not _PARAM_RE.fullmatch(key):
            problems.append((str(key), f"{key!r} is not a query parameter name"))
            continue
        if not isinstance(value, str):
            problems.append((key, f"the value of {key} must be text"))
            continue
        try:
            names = [name for _, name, spec, conv in string.Formatter().parse(value)
                     if name is not None]
        except ValueError as exc:
            problems.append((key, f"{key}: {exc} in {value!r}"))
            continue
        for name in names:
            if name not in PLACEHOLDERS:
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                problems.append((key, f"unknown placeholder {{{name}}} in {key} "
                                      f"(known: {known})"))
    return problems


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ``::1``).

    Any other name counts as reachable from the network: it may resolve to
    any address, now or later.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def short_base_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public base of short links, or None when it can.

    It must be an absolute ``https://`` URL without query or fragment; plain
    ``http://`` is accepted only on loopback (``localhost``, 127.0.0.0/8, ``::1``),
    for testing: a link sent to the world must not be readable or rewritable on
    the way.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{url!r} is not an absolute https:// URL"
    if parts.query or parts.fragment:
        return f"{url!r} must not have a query or a fragment"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return f"{url!r} is not HTTPS (plain http:// only on localhost, for testing)"
    return None


def slug(value: str) -> str:
    """``value`` with every run of characters other than letters, digits, ``._-`` as ``-``."""
    return _SLUG_RE.sub("-", value).strip("-")


@dataclass(frozen=True)
class LinkValues:
    """What a template's placeholders stand for, for one variant on one account."""

    platform: str
    campaign: str | None
    post: str
    account: str  # the handle, without the platform

    @property
    def variant(self) -> str:
        """The variant's name: its post, platform and account (one variant per account)."""
        return slug(f"{self.post}-{self.platform}-{self.account}")

    def as_dict(self) -> dict[str, str]:
        """The placeholder values by name (``campaign`` is empty when there is none)."""
        return {"platform": self.platform, "campaign": self.campaign or "",
                "variant": self.variant, "account": self.account, "post": self.post}


def fill(template: Mapping[str, str], values: LinkValues) -> dict[str, str]:
    """The query parameters of ``template`` for ``values``; empty results are left out.

    The template must be valid (:func:`template_errors`).
    """
    known = values.as_dict()
    out: dict[str, str] = {}
    for key, raw in template.items():
        value = raw.format(**known).strip()
        if value:
            out[key] = value
    return out


def tag_url(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to its query; parameters already there are kept.

    The fragment, the existing parameters and their order stay as written; a
    parameter the URL already has (even with another case of value) is not added
    again.
    """
    if not params:
        return url
    parts = urlsplit(url)
    existing = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = [(k, v) for k, v in params.items() if k not in existing]
    if not extra:
        return url
    added = urlencode(extra)
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def short_url(base: str, code: str) -> str:
    """The public URL of short link ``code`` under ``base`` (``https://go.example/l/CODE``)."""
    return base.rstrip("/") + SHORT_PATH + code


@dataclass(frozen=True)
class LinkStyle:
    """How an organization's links leave: the UTM template (None: no tags) and short links.

    ``short_base`` is the public base URL the daemon's ``/l/<code>`` is reachable
    at; ``shorten`` needs it.
    """

    utm: Mapping[str, str] | None = field(default_factory=lambda: dict(DEFAULT_UTM))
    shorten: bool = False
    short_base: str | None = None

    @property
    def active(self) -> bool:
        """Whether any link of a post changes on the way out."""
        return bool(self.utm) or self.shortens

    @property
    def shortens(self) -> bool:
        """Whether links are replaced by first-party short links."""
        return self.shorten and bool(self.short_base)


def _candidates(text: str, style: LinkStyle) -> list[tuple[int, int, str]]:
    """The http(s) URLs of ``text`` that are not already our own short links."""
    own = (style.short_base or "").rstrip("/") + SHORT_PATH if style.short_base else None
    out = []
    for span in find_web_links(text):
        if own and span.text.startswith(own):
            continue
        out.append((span.start, span.end, span.text))
    return out


def links_in(text: str, style: LinkStyle) -> list[str]:
    """The URLs of ``text`` that ``as_sent`` would tag or shorten, in order."""
    return [url for _, _, url in _candidates(text, style)]


def as_sent(text: str, style: LinkStyle, values: LinkValues,
            code_for: Callable[[str, str], str] | None = None) -> str:
    """``text`` with each http(s) link tagged (when the post is in a campaign) or shortened.

    Args:
        text: The variant's text as written.
        style: The UTM template and short-link settings in force.
        values: What the placeholders stand for.
        code_for: ``(url as written, tagged url) -> code`` of the short link; None
            gives a stand-in code of :data:`CODE_LENGTH` characters, for measuring.

    Returns:
        The text as it will be sent; unchanged when the style changes nothing.
    """
    if not style.active:
        return text
    params = fill(style.utm, values) if style.utm and values.campaign else {}
    if not params and not style.shortens:
        return text
    found = _candidates(text, style)
    if not found:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, url in found:
        tagged = tag_url(url, params)
        if style.shortens:
            assert style.short_base is not None
            code = code_for(url, tagged) if code_for else "x" * CODE_LENGTH
            tagged = short_url(style.short_base, code)
        pieces += [text[cursor:start], tagged]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
