"""Posts and their per-account variants: create, edit, find, list, remove.

Scheduling (times, slots, deliveries) lives in ``services.authoring.scheduling``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from socialhub.core.limits import check_text_size
from socialhub.core.policy import Permission
from socialhub.core.when import When
from socialhub.db.models import Account, Campaign, Post, Variant, VoiceProfile
from socialhub.db.queries import posts as queries
from socialhub.db.queries.campaigns import campaign_named
from socialhub.db.queries.voices import voice_named
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.accounts.accounts import get_account
from socialhub.services.audit import changes, created, deleted, record_event
from socialhub.services.authoring.post_audit import post_state
from socialhub.services.authoring.variants import check_variant_text
from socialhub.services.context import Ctx, use_case
from socialhub.services.links.style import sent_text
from socialhub.services.teams.approvals import lapse_approval

if TYPE_CHECKING:
    from socialhub.config import Settings

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")


@dataclass
class TargetSpec:
    """One target of a post: the account, its own text (else the body), and when."""

    account: str
    text: str | None = None
    thread: list[str] | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    first_comment: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    at: When | None = None
    language: str | None = None  # BCP 47, when known (given, translated to or detected)


def check_name(name: str) -> str:
    """A record name: lower-case letters, digits, ``.``, ``_``, ``-``.

    Raises:
        ValidationError: the name has other characters.
    """
    if not _NAME_RE.match(name):
        raise ValidationError(f"name {name!r} must be lower-case letters, digits, '.', '_' or '-'")
    return name


def get_post(session: Session, org_id: int, ref: str | int) -> Post:
    """The post named ``ref`` (its name, or its numeric id).

    Raises:
        NotFoundError: no such post.
    """
    text = str(ref)
    post = queries.post_named(session, org_id, text)
    if post is None and text.isdigit():
        post = queries.post_by_id(session, org_id, int(text))
    if post is None:
        raise NotFoundError(f"no post named {text!r} (see `socialhub posts list`)")
    return post


def find_campaign(session: Session, org_id: int, name: str | None) -> Campaign | None:
    """The campaign called ``name`` (None passes through).

    Raises:
        NotFoundError: no such campaign.
    """
    if not name:
        return None
    campaign = campaign_named(session, org_id, name)
    if campaign is None:
        raise NotFoundError(f"no campaign named {name!r} (see `socialhub campaigns list`)")
    return campaign


def find_voice(session: Session, org_id: int, name: str | None) -> VoiceProfile | None:
    """The voice profile called ``name`` (None passes through).

    Raises:
        NotFoundError: no such voice profile.
    """
    if not name:
        return None
    voice = voice_named(session, org_id, name)
    if voice is None:
        raise NotFoundError(f"no voice profile named {name!r} (see `socialhub voices list`)")
    return voice


def set_target(session: Session, org_id: int, post: Post, spec: TargetSpec, *,
               split: bool = False, settings: Settings | None = None) -> Variant:
    """Create or replace the variant of ``post`` for ``spec.account`` (text validated).

    With ``settings``, the text is measured with its links as they will be sent
    (tagged for the post's campaign, or shortened; see ``links_as_sent``).
    """
    account = get_account(session, org_id, spec.account)
    text, thread = check_variant_text(account, spec.text if spec.text is not None else post.body,
                                      spec.thread, split=split,
                                      sent=links_as_sent(settings, post, account))
    variant = next((v for v in post.variants if v.account_id == account.id), None)
    if variant is None:
        variant = Variant(account_id=account.id, account=account)
        post.variants.append(variant)
    variant.text = text
    variant.thread = thread
    variant.media = list(spec.media)
    variant.first_comment = spec.first_comment
    variant.options = dict(spec.options)
    if spec.language is not None:
        variant.language = spec.language
    if spec.at is not None:
        variant.scheduled_at = spec.at.utc
        variant.local_time = spec.at.local_text
        variant.timezone = spec.at.zone
    return variant


def links_as_sent(settings: Settings | None, post: Post, account: Account
                  ) -> Callable[[str], str] | None:
    """How a part of ``post`` for ``account`` reads once its links are tagged or
    shortened (None without settings: measured as written)."""
    if settings is None:
        return None
    campaign = post.campaign
    return sent_text(settings, campaign=campaign.name if campaign else None,
                     campaign_utm=campaign.utm if campaign else None, post=post.name,
                     platform=account.platform, handle=account.handle)


@use_case(Permission.POSTS_WRITE)
def create_post(ctx: Ctx, *, body: str, targets: list[TargetSpec],
                name: str | None = None, campaign: str | None = None, voice: str | None = None,
                tags: list[str] | None = None, paid: bool = False, split: bool = False) -> Post:
    """Create a draft post with one variant per target (each validated for its platform).

    Raises:
        ValidationError: empty post, bad name, duplicate target, or over-length text.
        ConflictError: a post with that name exists.
        NotFoundError: an unknown account, campaign or voice.
    """
    session, org_id = ctx.session, ctx.org_id
    check_text_size(body, "the post body")
    if not body.strip() and not any(t.text or t.thread for t in targets):
        raise ValidationError("a post needs a body (--body) or a text per target")
    accounts = [t.account for t in targets]
    dupes = {a for a in accounts if accounts.count(a) > 1}
    if dupes:
        raise ValidationError(f"target {sorted(dupes)[0]} is given twice")
    if name is not None:
        check_name(name)
        if queries.post_id_named(session, org_id, name):
            raise ConflictError(f"a post named {name!r} exists already")
    post = Post(org_id=org_id, name=name or "", body=body, tags=list(tags or []), paid=paid,
                status="draft", created_by=ctx.actor.name)
    post.campaign = find_campaign(session, org_id, campaign)
    post.voice = find_voice(session, org_id, voice)
    session.add(post)
    if not name:  # named first: a link's UTM tags may carry the post's name
        session.flush()
        post.name = f"post-{post.id}"
    for spec in targets:
        set_target(session, org_id, post, spec, split=split, settings=ctx.settings)
    session.flush()
    record_event(session, org_id, "create", "Post", record_id=post.id, name=post.name,
                 change=created(post_state(post)))
    return post


@use_case(Permission.POSTS_WRITE)
def edit_post(ctx: Ctx, ref: str, *, body: str | None = None,
              name: str | None = None, campaign: str | None = None, tags: list[str] | None = None,
              texts: dict[str, str] | None = None, add_targets: list[str] | None = None,
              remove_targets: list[str] | None = None, split: bool = False) -> Post:
    """Change a post's body, name, campaign, tags or targets; variants are re-validated.

    A changed body flows into every variant that had no text of its own. A change to
    approved content sends the post back to review (the approval lapses).

    Raises:
        ConflictError: the post has already gone out to a target being changed.
    """
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    if post.status in ("published", "publishing", "canceled"):
        raise ConflictError(f"post {post.name} is {post.status} and can no longer be edited")
    before = post_state(post)
    if name is not None and name != post.name:
        check_name(name)
        if queries.post_id_named(session, org_id, name):
            raise ConflictError(f"a post named {name!r} exists already")
        post.name = name
    if campaign is not None:
        post.campaign = find_campaign(session, org_id, campaign) if campaign else None
    if tags is not None:
        post.tags = list(tags)
    if body is not None and body != post.body:
        check_text_size(body, "the post body")
        for v in post.variants:
            if v.text == post.body and not v.thread:
                v.text, v.thread = check_variant_text(
                    v.account, body, None, split=split,
                    sent=links_as_sent(ctx.settings, post, v.account))
        post.body = body
    for ref_ in remove_targets or []:
        account = get_account(session, org_id, ref_)
        variant = next((v for v in post.variants if v.account_id == account.id), None)
        if variant is None:
            raise NotFoundError(f"post {post.name} has no target {account.ref}")
        _refuse_if_sent(session, variant)
        post.variants.remove(variant)
    for ref_ in add_targets or []:
        set_target(session, org_id, post, TargetSpec(account=ref_), split=split,
                   settings=ctx.settings)
    for ref_, text in (texts or {}).items():
        account = get_account(session, org_id, ref_)
        variant = next((v for v in post.variants if v.account_id == account.id), None)
        if variant is None:
            raise NotFoundError(f"post {post.name} has no target {account.ref}",
                                hint="add it with --add-target")
        _refuse_if_sent(session, variant)
        variant.text, variant.thread = check_variant_text(
            account, text, None, split=split, sent=links_as_sent(ctx.settings, post, account))
    session.flush()
    lapsed = lapse_approval(session, post, ctx.actor, ctx.now())
    change = changes(before, post_state(post))
    if lapsed:
        change["approval"] = {"before": "approved", "after": "lapsed"}
    record_event(session, org_id, "update", "Post", record_id=post.id, name=post.name,
                 change=change)
    return post


def _refuse_if_sent(session: Session, variant: Variant) -> None:
    sent = queries.sent_status(session, variant.id)
    if sent:
        raise ConflictError(f"the {variant.account.ref} variant is already {sent}")


def post_filters(session: Session, org_id: int, *, status: str | None,
                 campaign: str | None, account: str | None, start: datetime | None,
                 end: datetime | None) -> list[Any]:
    """WHERE conditions for the organization's posts matching these filters (names
    resolved: a campaign or account that does not exist raises NotFoundError)."""
    c = find_campaign(session, org_id, campaign) if campaign else None
    account_id = get_account(session, org_id, account).id if account else None
    return queries.post_conditions(org_id, status=status,
                                   campaign_id=c.id if c else None, account_id=account_id,
                                   start=start, end=end)


@use_case(Permission.POSTS_READ)
def list_posts(ctx: Ctx, *, status: str | None = None,
               campaign: str | None = None, account: str | None = None,
               start: datetime | None = None, end: datetime | None = None,
               limit: int | None = None, offset: int = 0) -> list[Post]:
    """Posts matching every filter given, earliest scheduled first, drafts last.

    ``limit`` and ``offset`` page in SQL (no limit: every match); the order is
    stable (ties broken by id), so consecutive pages never overlap.
    """
    session, org_id = ctx.session, ctx.org_id
    where = post_filters(session, org_id, status=status, campaign=campaign, account=account,
                          start=start, end=end)
    return queries.list_posts(session, where, offset=offset, limit=limit)


@use_case(Permission.POSTS_READ)
def count_posts(ctx: Ctx, *, status: str | None = None,
                campaign: str | None = None, account: str | None = None,
                start: datetime | None = None, end: datetime | None = None) -> int:
    """How many posts :func:`list_posts` would return with no limit."""
    session, org_id = ctx.session, ctx.org_id
    where = post_filters(session, org_id, status=status, campaign=campaign, account=account,
                          start=start, end=end)
    return queries.count_posts(session, where)


@use_case(Permission.POSTS_WRITE)
def remove_post(ctx: Ctx, ref: str, *, force: bool = False) -> Post:
    """Delete a post and its variants and deliveries.

    Raises:
        ConflictError: part of it went out or is going out, and ``force`` is false.
    """
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    if not force:
        for v in post.variants:
            _refuse_if_sent(session, v)
    record_event(session, org_id, "delete", "Post", record_id=post.id, name=post.name,
                 change=deleted(post_state(post)))
    session.delete(post)
    session.flush()
    return post
