"""Posts in manifests: a target's comparable state, and creating new posts in bulk.

Split from ``services.manifests.apply`` (the planner). A target's state is what
``set_target`` and ``sync_delivery`` would store for it; new posts go in with
a few bulk INSERTs rather than the unit of work, which made a 10,000-post
apply take most of a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.manifests import Manifest
from socialhub.core.when import When
from socialhub.db.models import Account, Campaign, Variant, VoiceProfile
from socialhub.db.queries import manifests as queries
from socialhub.services.audit import acting, audit_row, created, current_actor, write_audit_rows
from socialhub.services.authoring.scheduling import new_idempotency_key
from socialhub.services.authoring.text_rules import measure
from socialhub.services.authoring.variants import platform_limit
from socialhub.services.manifests.registry import Registry


@dataclass
class TargetState:
    """A target's stored state, comparable between a manifest and the database."""

    text: str
    thread: list[Any]
    media: list[Any]
    first_comment: str | None
    options: dict[str, Any]
    at: tuple[str, str] | None  # (local time, zone) as stored
    when: When | None = field(default=None, compare=False)
    language: str | None = None  # BCP 47, as given (or translated to)


#: Per account ref: the target's index in the manifest, its account, its desired state.
Targets = dict[str, tuple[int, Account, TargetState]]


def variant_state(v: Variant) -> TargetState:
    """The state a stored variant is in."""
    at = (v.local_time, v.timezone or "") if v.local_time else None
    return TargetState(v.text, list(v.thread or []), list(v.media or []), v.first_comment,
                       dict(v.options or {}), at, language=v.language)


def same_text(variant: Variant, text: str, thread: list[str] | None) -> bool:
    """True when ``text``/``thread`` is what the variant already holds (so it passed the checks)."""
    parts = [p for p in (thread or []) if p.strip()]
    if parts:
        stored = list(variant.thread or []) or [variant.text]
        return parts == stored and variant.text == parts[0]
    return variant.text == text and not variant.thread


def plain(value: Any) -> Any:
    """``value`` as JSON can hold it (dates and decimals as text), for a plan's details."""
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def lengths(account: Account, parts: list[str], sent: Callable[[str], str] | None = None
            ) -> list[dict[str, Any]]:
    """Each part as ``account``'s platform counts it: ``{part, length, limit, unit, valid}``;
    with ``sent``, the part as it will be sent (links tagged or shortened)."""
    out = []
    for n, part in enumerate(parts, 1):
        m = measure(sent(part) if sent else part, account.platform,
                    limit=platform_limit(account))
        out.append({"platform": account.platform, "part": n, "length": m.length,
                    "limit": m.limit, "unit": m.unit, "valid": m.valid})
    return out


def target_changes(ref: str, account: Account, old: TargetState | None,
                   new: TargetState, *, measured: bool = True,
                   sent: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
    """One ``{field, old, new}`` per field of target ``ref`` that differs (every field
    given, for a new target); with ``measured`` a changed text or thread carries its
    counted ``lengths`` (a few hundred microseconds to milliseconds per text)."""
    out: list[dict[str, Any]] = []
    for f in fields(TargetState):
        if f.name == "when":
            continue
        was = getattr(old, f.name) if old is not None else None
        now = getattr(new, f.name)
        if (old is None and now in (None, "", [], {})) or was == now:
            continue
        if f.name == "at":
            was = " ".join(was) if was else None
            now = " ".join(now) if now else None
        entry: dict[str, Any] = {"field": f"targets[{ref}].{f.name}", "old": was, "new": now}
        if not measured:
            pass
        elif f.name == "text" and not new.thread:
            entry["lengths"] = lengths(account, [new.text], sent)
        elif f.name == "thread" and new.thread:
            entry["lengths"] = lengths(account, [str(p) for p in new.thread], sent)
        out.append(entry)
    return out


def fill_variant(variant: Variant, st: TargetState) -> None:
    """Give ``variant`` the desired state (text, extras, schedule); the caller syncs delivery."""
    variant.text, variant.thread, variant.media = st.text, list(st.thread), list(st.media)
    variant.first_comment, variant.options = st.first_comment, dict(st.options)
    variant.language = st.language
    when = st.when
    variant.scheduled_at = when.utc if when else None
    variant.local_time = when.local_text if when else None
    variant.timezone = when.zone if when else None


def new_variant(account: Account, st: TargetState) -> Variant:
    """A new variant for ``account`` in the desired state."""
    variant = Variant(account=account)
    fill_variant(variant, st)
    return variant


def insert_new_posts(session: Session, org_id: int, new_posts: list[tuple[Manifest, Targets]],
                     campaigns: dict[str, Campaign], voices: dict[str, VoiceProfile], *,
                     source: str | None = None, commit: str | None = None,
                     published: Registry | None = None, now: datetime | None = None,
                     created_by: str | None = None) -> None:
    """Insert new posts with their variants, deliveries and audit events in four statements.

    Each post is labelled with ``source`` and ``commit`` (the directory that owns it
    and the git commit it came from); the commit is also in its audit row. A
    target the ``published`` registry lists gets a ``published`` delivery with its
    remote id and URL (due at its time, else ``now``), never a scheduled one.

    The rows are those create_post/set_target/sync_delivery would make: a post
    with any timed target is ``scheduled`` with one ``scheduled`` delivery per
    timed target; otherwise it is a ``draft``.
    """
    if not new_posts:
        return
    session.flush()  # accounts, voices and campaigns made by this apply get their ids
    post_rows, targets = [], []
    for m, states in new_posts:
        meta, spec = m.model.metadata, m.model.spec
        campaign = campaigns.get(meta.campaign or "")
        voice = voices.get(spec.voice or "")
        out = (published or {}).get(m.name, {})
        pending = any(st.when is not None and ref not in out
                      for ref, (_i, _a, st) in states.items())
        sent = [ref for ref in states if ref in out]
        status = ("scheduled" if pending else
                  "published" if sent and len(sent) == len(states) else
                  "partially_published" if sent else "draft")
        post_rows.append({
            "org_id": org_id, "name": m.name, "body": spec.body, "tags": list(spec.tags),
            "paid": spec.paid, "status": status,
            "source": source, "source_commit": commit,
            "campaign_id": campaign.id if campaign else None,
            "voice_id": voice.id if voice else None, "created_by": created_by})
        targets.append((m.name, states))
    post_ids = queries.insert_posts(session, post_rows)
    variant_rows: list[dict[str, Any]] = []
    variant_targets: list[tuple[Account, TargetState, dict[str, Any] | None]] = []
    for post_id, (name, states) in zip(post_ids, targets, strict=True):
        out = (published or {}).get(name, {})
        for ref, (_i, account, st) in states.items():
            variant_rows.append({
                "post_id": post_id, "account_id": account.id, "text": st.text,
                "thread": list(st.thread), "media": list(st.media),
                "first_comment": st.first_comment, "options": dict(st.options),
                "scheduled_at": st.when.utc if st.when else None,
                "local_time": st.when.local_text if st.when else None,
                "timezone": st.when.zone if st.when else None, "language": st.language})
            variant_targets.append((account, st, out.get(ref)))
    variant_ids = queries.insert_variants(session, variant_rows)
    delivery_rows = []
    for vid, (account, st, entry) in zip(variant_ids, variant_targets, strict=True):
        due = st.when.utc if st.when is not None else now
        if entry is not None and due is not None:
            delivery_rows.append({
                "variant_id": vid, "account_id": account.id, "due_at": due,
                "next_attempt_at": due, "status": "published",
                "remote_id": entry.get("remote_id"), "remote_url": entry.get("url"),
                "idempotency_key": new_idempotency_key()})
        elif st.when is not None:
            delivery_rows.append({
                "variant_id": vid, "account_id": account.id, "due_at": due,
                "next_attempt_at": due, "status": "scheduled", "remote_id": None,
                "remote_url": None, "idempotency_key": new_idempotency_key()})
    queries.insert_deliveries(session, delivery_rows)
    # The rows audit.write_audit_row would write for record_event(…, "create", "Post"),
    # chained in bulk (one lock, one head read, one INSERT per chain) instead of through
    # the event bus, so no ``post.created`` event is published for these posts (nothing
    # subscribes to it but the trail today). Through the bus, 10,000 new posts cost about
    # 1.2 s more (an event and a chain append per post), on an apply of about 8.5 s.
    change: dict[str, Any] = {"via": "apply", **({"commit": commit} if commit else {})}
    bound_actor, channel = acting(session)
    actor = bound_actor or current_actor()
    write_audit_rows(session, [
        audit_row(org_id=org_id, actor=actor, channel=channel, action="create", kind="Post",
                  record_id=pid, name=row["name"],
                  change={**created({k: row[k] for k in ("body", "tags", "status", "paid")}),
                         **change})
        for pid, row in zip(post_ids, post_rows, strict=True)])
