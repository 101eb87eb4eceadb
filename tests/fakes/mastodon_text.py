"""Mastodon's own text rules, as the fake instance applies them (PLATFORMS.md §2.3).

``server_length`` is the server's StatusLengthValidator and ``render_html`` the
way it renders a status's ``content``. They are written here independently of
``socialhub.core.text`` so the adapter's validation is checked against
something it does not share code with.
"""

from __future__ import annotations

import html
import re

import regex

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
_MENTION_RE = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\w.-]+\w)?",
                         re.IGNORECASE)


def server_length(text: str, spoiler_text: str = "") -> int:
    """Mastodon's StatusLengthValidator: URLs with a scheme = 23, ``@u@domain`` = ``@u``."""
    if text.strip():
        text = _URL_RE.sub("x" * 23, text)
        text = _MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    else:
        text = ""
    return len(regex.findall(r"\X", spoiler_text + text))


def render_html(text: str) -> str:
    """Status ``content`` the way Mastodon renders it: paragraphs, <br />, split link spans."""
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, rest = url.split("://", 1)
        shown, hidden = rest[:30], rest[30:]
        return (f'<a href="{url}" rel="nofollow noopener" target="_blank">'
                f'<span class="invisible">{scheme}://</span><span class="ellipsis">{shown}'
                f'</span><span class="invisible">{hidden}</span></a>')

    paragraphs = []
    for para in re.split(r"\n{2,}", text.strip()):
        escaped = html.escape(para, quote=False)
        paragraphs.append(_URL_RE.sub(link, escaped).replace("\n", "<br />"))
    return "".join(f"<p>{p}</p>" for p in paragraphs)
