"""A variant's parts as they are sent: links tagged, and shortened to first-party links.

Called by the publishing path when it builds the request of a delivery (inside
the transaction that starts the attempt), so the stored text stays as the
author wrote it — manifests apply back unchanged, approvals digest the authored
content — and every send of the same variant gives the same text: a short
link is made once per variant and link as written (``url_hash``), and reused.

External shorteners are not built in; ``Shortener`` is the hook one would
implement (a callable given the tagged URL and returning the public short URL).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from socialhub.config import Settings
from socialhub.core.links import CODE_LENGTH, LinkValues, as_sent
from socialhub.db.models import ShortLink
from socialhub.db.queries import links as queries
from socialhub.services.clock import now_utc
from socialhub.services.links.style import link_style


class Shortener(Protocol):
    """An external shortener's adapter (optional; none ships): tagged URL → public URL.

    The first-party short links need none; an adapter would be called where
    ``_code_for`` makes a first-party code, and must be idempotent per URL.
    """

    def __call__(self, tagged_url: str) -> str:  # pragma: no cover - a protocol
        """The public short URL for ``tagged_url``."""
        ...


@dataclass(frozen=True)
class LinkSubject:
    """The variant being sent, as far as its links are concerned."""

    org_id: int
    post_id: int
    post: str
    campaign: str | None
    campaign_utm: Mapping[str, Any] | None
    variant_id: int
    account_id: int
    platform: str
    handle: str


def url_hash(url: str) -> str:
    """The sha256 of a link as written: with the variant, what makes its short link unique."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def new_code() -> str:
    """A random code of ``CODE_LENGTH`` URL-safe characters (48 bits: not guessable by
    walking the space, and short enough for a post)."""
    return secrets.token_urlsafe(CODE_LENGTH * 3 // 4)[:CODE_LENGTH]


def rendered_parts(session: Session, settings: Settings, subject: LinkSubject,
                   parts: list[str]) -> list[str]:
    """``parts`` with their links as they will be sent; short links are made as needed.

    Unchanged when no style applies (no campaign template and no shortening).
    """
    style = link_style(settings, subject.campaign_utm)
    if not style.active:
        return parts
    values = LinkValues(platform=subject.platform, campaign=subject.campaign,
                        post=subject.post, account=subject.handle)

    def code_for(url: str, tagged: str) -> str:
        return _code_for(session, subject, url, tagged)

    return [as_sent(part, style, values, code_for if style.shortens else None)
            for part in parts]


def _code_for(session: Session, subject: LinkSubject, url: str, tagged: str) -> str:
    digest = url_hash(url)
    existing = queries.link_for(session, subject.variant_id, digest)
    if existing is not None:
        return existing.code
    code = new_code()
    while queries.code_taken(session, code):  # 48 bits: practically never twice
        code = new_code()
    session.add(ShortLink(org_id=subject.org_id, code=code, url=url, url_hash=digest,
                          target=tagged, post_id=subject.post_id,
                          variant_id=subject.variant_id, account_id=subject.account_id,
                          platform=subject.platform, created_at=now_utc()))
    session.flush()
    return code
