"""The post editor's data and actions: loading, checking and saving a draft.

Plain data and actions, built only from the shared services, in the same
transactions the CLI uses. Nothing here imports a UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from socialhub.core.policy import Permission
from socialhub.core.when import When, parse_when
from socialhub.errors import ValidationError
from socialhub.services.context import Ctx, use_case

# Nothing heavy is imported up front: the TUI paints its first month before
# SQLAlchemy, the models, the text rules (regex tables), AI voices or
# publishing are loaded. Services are imported inside the functions using them.


@use_case(Permission.ACCOUNTS_READ)
def account_choices(ctx: Ctx) -> list[tuple[str, str]]:
    """(ref, platform) of every account, for the editor's target picker."""
    from socialhub.services.accounts.accounts import list_accounts

    session, org_id = ctx.session, ctx.org_id
    return [(a.ref, a.platform) for a in list_accounts(session, org_id)]


SaveMode = Literal["draft", "schedule", "publish"]


@dataclass(frozen=True)
class Draft:
    """What the editor holds: body, targets with their own text ("" = the body), schedule."""

    body: str
    targets: dict[str, str]
    name: str | None = None
    at: str = ""  # "YYYY-MM-DD HH:MM [Zone]"; empty = no time
    next_slot: bool = False


@use_case(Permission.POSTS_READ)
def load_draft(ctx: Ctx, ref: str) -> tuple[Draft, str]:
    """The editable form of an existing post, and its status."""
    from socialhub.services.authoring.posts import get_post
    from socialhub.services.authoring.scheduling import post_summary

    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    data = post_summary(session, post, with_deliveries=False)
    targets: dict[str, str] = {}
    for t in data["targets"]:
        follows = t["text"] == post.body or (t["thread"] and post.body.startswith(t["thread"][0]))
        targets[t["account"]] = "" if follows else t["text"]
    at = next((t["at"].replace("T", " ") for t in data["targets"] if t["at"]), "")
    return Draft(post.body, targets, post.name, at), post.status


@use_case(Permission.POSTS_WRITE)
def save_draft(ctx: Ctx, draft: Draft, *, existing: str | None,
               mode: SaveMode, zone: str, now: datetime) -> dict[str, Any]:
    """Create or update a post from the editor; then schedule it or make it due now.

    All in one transaction: a bad time leaves no half-saved post. Over-length
    text on a thread platform becomes a thread, as the preview shows.

    Raises:
        ValidationError: empty post, no target, bad time, or text a platform refuses.
    """
    from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post, get_post
    from socialhub.services.authoring.scheduling import post_summary, publish_now, schedule_post

    session, org_id = ctx.session, ctx.org_id
    if not draft.targets:
        raise ValidationError("pick at least one target account")
    texts = {ref: text or draft.body for ref, text in draft.targets.items()}
    if existing is None:
        post = create_post(ctx, body=draft.body, name=draft.name or None, split=True,
                           targets=[TargetSpec(account=r, text=t) for r, t in texts.items()])
    else:
        post = get_post(session, org_id, existing)
        current = {v.account.ref for v in post.variants}
        post = edit_post(ctx, existing, body=draft.body, texts=texts, split=True,
                         name=draft.name or None,
                         add_targets=sorted(set(texts) - current),
                         remove_targets=sorted(current - set(texts)))
    if mode == "publish":
        publish_now(ctx, post.name, now=now)
    elif mode == "schedule":
        when: When | None = None
        if not draft.next_slot:
            if not draft.at.strip():
                raise ValidationError("give a time (YYYY-MM-DD HH:MM [Zone]) or pick next free "
                                      "slot")
            when = parse_when(draft.at, zone)
        post = schedule_post(ctx, post.name, at=when, next_slot=draft.next_slot,
                             now=now)
    return post_summary(session, post)


_UNITS = {"graphemes+bytes": "graphemes", "weighted": "weighted chars", "utf16": "UTF-16 units",
          "utf8-emoji": "chars", "chars": "chars", "bytes": "bytes", "graphemes": "graphemes"}


@dataclass(frozen=True)
class Check:
    """The live check of one target's text: counter line, problems, preview parts."""

    counter: str
    valid: bool
    problems: tuple[str, ...]
    parts: tuple[str, ...]


def check_text(text: str, platform: str) -> Check:
    """Measure ``text`` as ``platform`` counts it; split it into a thread when that fixes it."""
    from socialhub.errors import SocialhubError
    from socialhub.services.authoring.text_rules import measure, rules_for, split_thread

    m = measure(text, platform)
    counter = f"{m.length}/{m.limit} {_UNITS.get(m.unit, m.unit)}"
    if m.valid or m.length <= m.limit or not rules_for(platform).supports_threads:
        return Check(counter, m.valid, m.problems, (text,) if text else ())
    try:
        parts = tuple(split_thread(text, platform))
    except SocialhubError as exc:
        return Check(counter, False, (*m.problems, str(exc)), (text,))
    note = f"over the limit: will be posted as a thread of {len(parts)}"
    return Check(counter, True, (note,), parts)


@dataclass(frozen=True)
class EditorPolicies:
    """The content policies a post in the editor is held to, loaded once when it opens.

    ``rules`` are ``core.content_policy.NamedPolicy`` values (typed loosely so this
    module imports nothing heavy); ``paid`` is the post's or its campaign's flag.
    """

    rules: tuple[Any, ...] = ()
    paid: bool = False


@use_case(Permission.POSTS_READ)
def editor_policies(ctx: Ctx, ref: str | None) -> EditorPolicies:
    """The organization's policies and, for an existing post, its campaign's."""
    from socialhub.core.content_policy import applicable
    from socialhub.services.authoring.content_policies import campaign_is_paid, stored_policies
    from socialhub.services.authoring.posts import get_post

    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref) if ref else None
    campaign = post.campaign if post is not None else None
    rules = applicable(stored_policies(session, org_id), campaign.name if campaign else None)
    return EditorPolicies(tuple(rules), bool(post is not None and (post.paid
                                                                   or campaign_is_paid(campaign))))


def policy_lines(policies: EditorPolicies, text: str, platform: str) -> list[tuple[bool, str]]:
    """The editor's live policy panel for one target: ``(blocks, line)`` per finding.

    Pure and quick (compiled patterns are cached), so it runs on every keystroke.
    """
    if not policies.rules:
        return []
    from socialhub.core.content_policy import TextContext
    from socialhub.core.content_policy import check_text as check_policies

    found = check_policies(list(policies.rules), text,
                           TextContext(platform=platform, paid=policies.paid))
    return [(f.blocks, f"{'✗' if f.blocks else '!'} {f.message} — {f.hint} "
                       f"({f.policy}/{f.rule})") for f in found]
