"""Answering an inbox item: a reply is a delivery, sent by the delivery engine.

A reply becomes a small post (named ``reply-<item>-<digest>``, tagged
``inbox-reply``) with one variant on the item's account, due now. The variant's
``options["reply_to"]`` names the post answered (``platforms.base.ReplyTarget``),
and each adapter threads it the platform's way: Bluesky's reply refs (root and
parent), Mastodon's ``in_reply_to_id`` (``visibility: direct`` for a direct
message), X's ``reply.in_reply_to_tweet_id``, Threads' ``reply_to_id``, a comment on
the top-level comment on Facebook (``POST /{comment}/comments``) and Instagram
(``POST /{comment}/replies``), YouTube's ``comments.insert`` with ``parentId`` (the
thread's top comment), Reddit's ``/api/comment`` with ``thing_id``, the sandbox's
``reply_to``. So a
reply is claimed, sent, retried, looked up when its outcome is unknown and shown
by ``queue list`` like every other delivery, with the same exactly-once rules.

The idempotency key is derived from the item and the text: the same reply asked
for twice (a double key press, a retried command) is the same delivery, never a
second message. A text longer than the platform allows is refused before
anything is stored, with the platform's count, unless ``split`` is asked where the
platform threads (Bluesky, Mastodon, X, Threads, the sandbox).
"""

from __future__ import annotations

import hashlib
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Account, Delivery, InboxItem, Post, Variant
from socialhub.db.queries import inbox as queries
from socialhub.errors import ValidationError
from socialhub.services.announce import notify_schedule_changed
from socialhub.services.audit import record_event
from socialhub.services.authoring.scheduling import refresh_post_status
from socialhub.services.authoring.text_rules import measure, rules_for, split_thread
from socialhub.services.context import Ctx, use_case
from socialhub.services.inbox.items import get_item

REPLY_TAG = "inbox-reply"


def reply_key(item_id: int, text: str) -> str:
    """The idempotency key of the reply ``text`` to item ``item_id`` (same inputs, same key)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return f"sh-reply-{item_id}-{digest}"


def reply_target(item: InboxItem) -> dict[str, Any]:
    """What the adapter needs to thread a reply under ``item`` (``options["reply_to"]``)."""
    target: dict[str, Any] = {"remote_id": item.remote_id, "item_id": item.id,
                              "kind": item.kind}
    context = dict(item.context or {})
    if context.get("reply_root"):  # Facebook, Instagram: replies go under the top comment
        target["root_id"] = context["reply_root"]
    if item.platform == "bluesky":
        target["cid"] = context.get("cid")
        target["root_id"] = context.get("root_uri") or item.remote_id
        target["root_cid"] = context.get("root_cid") or context.get("cid")
    elif item.platform == "youtube":
        # YouTube threads are one level deep: a reply answers the thread's top comment.
        target["root_id"] = context.get("thread_id") or item.remote_id
        if context.get("video_id"):
            target["video_id"] = context["video_id"]
    elif item.platform == "reddit" and context.get("subreddit"):
        target["subreddit"] = context["subreddit"]  # named in Reddit's refusals
    return target


def reply_text(item: InboxItem, text: str) -> str:
    """The text that goes out: on Mastodon it must mention the author to reach them."""
    text = text.strip()
    if item.platform == "mastodon":
        mention = "@" + item.author_handle.lstrip("@")
        if mention.lower() not in text.lower():
            text = f"{mention} {text}"
    return text


def reply_parts(platform: str, text: str, *, split: bool) -> list[str]:
    """The parts of a reply: one, or the thread when ``split`` and the platform threads.

    Raises:
        ValidationError: too long (with the platform's count) and not split, or the
            platform cannot thread.
    """
    if not text:
        raise ValidationError("the reply is empty")
    measured = measure(text, platform)
    if measured.valid:
        return [text]
    rules = rules_for(platform)
    if split and rules.supports_threads and measured.length > measured.limit:
        return split_thread(text, platform)
    problems = "; ".join(measured.problems) or (
        f"{measured.length} {measured.unit}, over the limit of {measured.limit}")
    hint = ("shorten it, or add --split to send it as a thread" if rules.supports_threads
            and not split else "shorten it")
    raise ValidationError(f"{rules.display_name} reply: {problems}", hint=hint)


@use_case(Permission.INBOX_REPLY)
def reply_to_item(ctx: Ctx, item_id: int, text: str, *, split: bool = False) -> dict[str, Any]:
    """Queue a reply to an inbox item on its account, due now; returns the delivery.

    Asking twice with the same text returns the first delivery (``created`` False).

    Raises:
        NotFoundError: no such item.
        ValidationError: empty, or too long for the platform (nothing is stored).
    """
    session = ctx.session
    item = get_item(session, ctx.org_id, item_id)
    account = session.get(Account, item.account_id)
    assert account is not None  # the foreign key cascades
    body = reply_text(item, text)
    parts = reply_parts(item.platform, body, split=split)
    key = reply_key(item.id, body)
    existing = queries.delivery_with_key(session, key)
    if existing is not None:
        return _summary(existing, account, created=False)
    now = ctx.now()
    post = Post(org_id=ctx.org_id, name=f"reply-{item.id}-{key[-8:]}", body=body,
                tags=[REPLY_TAG], status="draft", created_by=ctx.actor.name)
    options: dict[str, Any] = {"reply_to": reply_target(item)}
    if item.platform == "mastodon" and item.kind == "message":
        options["visibility"] = "direct"
    variant = Variant(post=post, account_id=account.id, text=body,
                      thread=parts if len(parts) > 1 else [], options=options,
                      scheduled_at=now, local_time=now.strftime("%Y-%m-%dT%H:%M:%S"),
                      timezone="UTC")
    session.add_all([post, variant])
    session.flush()
    delivery = Delivery(variant_id=variant.id, account_id=account.id, due_at=now,
                        next_attempt_at=now, status=DeliveryStatus.SCHEDULED,
                        idempotency_key=key, inbox_item_id=item.id)
    session.add(delivery)
    item.read = True
    refresh_post_status(session, post)
    session.flush()
    record_event(session, ctx.org_id, "replied", "InboxItem", record_id=item.id,
                 name=f"inbox item {item.id}",
                 change={"delivery_id": delivery.id, "parts": len(parts)})
    notify_schedule_changed(session)
    return _summary(delivery, account, created=True, parts=parts)


def _summary(delivery: Delivery, account: Account, *, created: bool,
             parts: list[str] | None = None) -> dict[str, Any]:
    return {"delivery_id": delivery.id, "item_id": delivery.inbox_item_id,
            "account": account.ref, "status": delivery.status, "created": created,
            "parts": len(parts) if parts is not None else None,
            "remote_url": delivery.remote_url}
