"""Variant text checked against the target platform's own counting rules."""

from __future__ import annotations

from collections.abc import Callable

from socialhub.core.limits import check_text_size
from socialhub.db.models import Account
from socialhub.errors import ValidationError
from socialhub.services.authoring.text_rules import Measure, measure, rules_for, split_thread


def platform_limit(account: Account) -> int | None:
    """An account-specific text limit (e.g. a Mastodon instance's), when known."""
    value = (account.settings or {}).get("max_characters")
    return int(value) if value else None


def check_variant_text(account: Account, text: str, thread: list[str] | None, *,
                       split: bool = False, sent: Callable[[str], str] | None = None
                       ) -> tuple[str, list[str]]:
    """Return (text, thread) valid for ``account``'s platform, splitting when asked.

    ``sent`` gives a part's text as it will be sent (links tagged or shortened,
    ``services.links.style.sent_text``): that is what is measured, while the text
    as written is what is returned and stored.

    Raises:
        ValidationError: a part is over the limit (the message gives the measured
            length and the limit) and splitting was not asked for or is impossible.
    """
    for i, part in enumerate([text, *(thread or [])]):  # before measuring megabytes
        check_text_size(part, f"thread part {i} for {account.ref}" if i else
                        f"text for {account.ref}")
    limit = platform_limit(account)
    as_sent = sent or _same
    parts = [p for p in (thread or []) if p.strip()]
    if parts:
        rules = rules_for(account.platform)
        if len(parts) > 1 and not rules.supports_threads:
            raise ValidationError(f"{account.platform} has no threads; give {account.ref} one text")
        for i, part in enumerate(parts, 1):
            m = measure(as_sent(part), account.platform, limit=limit)
            if not m.valid:
                raise ValidationError(
                    f"thread part {i} for {account.ref} is {_over(m)}" if m.length > m.limit
                    else f"thread part {i} for {account.ref}: {'; '.join(m.problems) or 'invalid'}")
        return parts[0], parts if len(parts) > 1 else []
    m = measure(as_sent(text), account.platform, limit=limit)
    if m.valid:
        return text, []
    if m.length > m.limit:
        if split and rules_for(account.platform).supports_threads:
            return text, _split(text, account.platform, limit, as_sent)
        hint = ("shorten it, or pass --split to make a thread"
                if rules_for(account.platform).supports_threads else "shorten it")
        raise ValidationError(f"text for {account.ref} is {_over(m)}", hint=hint)
    if not text.strip():
        if rules_for(account.platform).requires_media:
            return text, []  # media carries the post; the media rules check it
        raise ValidationError(f"text for {account.ref} is empty")
    raise ValidationError(f"text for {account.ref}: {'; '.join(m.problems) or 'invalid'}")


def _same(text: str) -> str:
    return text


def _split(text: str, platform: str, limit: int | None, as_sent: Callable[[str], str]
           ) -> list[str]:
    """Split ``text`` so each part fits once its links are tagged or shortened.

    Split at the limit, measure each part as it will be sent, and split again with
    the limit lowered by the largest overshoot, until every part fits (a few rounds).
    """
    if as_sent is _same:
        return split_thread(text, platform, limit=limit)
    full = limit or rules_for(platform).limit
    budget = full
    for _ in range(8):
        parts = split_thread(text, platform, limit=budget)
        over = [measure(as_sent(p), platform, limit=limit) for p in parts]
        worst = max((m.length - m.limit for m in over), default=0)
        if worst <= 0:
            return parts
        budget -= worst
        if budget < full // 4:
            break
    raise ValidationError("the text cannot be split into parts that fit once their links "
                          "are tagged", hint="shorten the links or the text")


def _over(m: Measure) -> str:
    """``'406 graphemes, over the 300 limit'`` in the platform's own unit."""
    if m.problems and "limit" in m.problems[0]:
        return m.problems[0]
    return f"{m.length} characters, over the {m.limit} limit"
