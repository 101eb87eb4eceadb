"""What an apply recorded of each post's manifest, and the rows that say whether a recorded
post is still exactly as that apply left it (``services.manifests.digests`` hashes them).

Read with Core and JSON columns as their stored text: a re-apply of 10,000 unchanged
posts reads them all, so no ORM objects and no JSON decoding.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Text, cast, delete, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from socialhub.db.models import (
    Account,
    Campaign,
    ManifestDigest,
    Organization,
    Policy,
    Post,
    Variant,
    VoiceProfile,
)

#: The columns of a post and of its targets that planning its manifest compares or checks.
_POST_COLUMNS = (Post.name, Post.id, Post.status, Post.body, cast(Post.tags, Text), Post.paid,
                 Post.voice_id, Post.campaign_id, Post.source, Post.approved_digest)
_VARIANT_COLUMNS = (Variant.id, Variant.account_id, Variant.text, cast(Variant.thread, Text),
                    cast(Variant.media, Text), Variant.first_comment,
                    cast(Variant.options, Text), Variant.scheduled_at, Variant.local_time,
                    Variant.timezone, Variant.language)
#: Where a row of ``post_states``/``recorded_states`` starts its target's columns.
VARIANT_START = len(_POST_COLUMNS)


def _states(*leading: Any) -> Select[Any]:
    return (select(*leading, *_POST_COLUMNS, *_VARIANT_COLUMNS)
            .select_from(Post).outerjoin(Variant, Variant.post_id == Post.id))


def post_states(session: Session, org_id: int, names: Collection[str]) -> list[Sequence[Any]]:
    """One row per target of each of the organization's posts called one of ``names``
    (one row with NULL target columns for a post without any), by post then target id:
    the post's columns, then the target's (from ``VARIANT_START``)."""
    wanted, out = list(names), list[Sequence[Any]]()
    for i in range(0, len(wanted), 1000):
        out += session.execute(
            _states().where(Post.org_id == org_id, Post.name.in_(wanted[i:i + 1000]))
            .order_by(Post.id, Variant.id))
    return out


def recorded_states(session: Session, org_id: int,
                    digests: Collection[str]) -> list[Sequence[Any]]:
    """The recorded posts whose digest is one of ``digests``: each row is the digest, the
    file's document count and the recorded state, then a row of ``post_states``.
    A recorded name without a post (deleted since) has no row."""
    wanted, out = list(digests), list[Sequence[Any]]()
    for i in range(0, len(wanted), 1000):  # a post's rows share its digest: one chunk
        out += session.execute(
            _states(ManifestDigest.digest, ManifestDigest.documents, ManifestDigest.state)
            .join(ManifestDigest, (ManifestDigest.org_id == Post.org_id)
                  & (ManifestDigest.name == Post.name) & (ManifestDigest.kind == "Post"))
            .where(Post.org_id == org_id, ManifestDigest.digest.in_(wanted[i:i + 1000]))
            .order_by(Post.id, Variant.id))
    return out


def environment_rows(session: Session, org_id: int) -> list[Sequence[Any]]:
    """Everything outside a post's manifest that planning it reads, as plain rows: the
    organization's settings, accounts, voices, campaigns and policies."""
    out: list[Sequence[Any]] = []
    out += session.execute(select(cast(Organization.settings, Text))
                           .where(Organization.id == org_id))
    out += session.execute(select(Account.id, Account.platform, Account.handle,
                                  cast(Account.settings, Text))
                           .where(Account.org_id == org_id).order_by(Account.id))
    out += session.execute(select(VoiceProfile.id, VoiceProfile.name)
                           .where(VoiceProfile.org_id == org_id).order_by(VoiceProfile.id))
    out += session.execute(select(Campaign.id, Campaign.name, Campaign.approvals,
                                  cast(Campaign.brief, Text), cast(Campaign.utm, Text))
                           .where(Campaign.org_id == org_id).order_by(Campaign.id))
    out += session.execute(select(Policy.id, Policy.name, Policy.campaign_id,
                                  cast(Policy.spec, Text))
                           .where(Policy.org_id == org_id).order_by(Policy.id))
    return out


def record_digests(session: Session, org_id: int, kind: str,
                   rows: Sequence[dict[str, Any]]) -> None:
    """Replace what is recorded for these records (``rows``: name, digest, documents,
    state) of ``kind``."""
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        session.execute(delete(ManifestDigest).where(
            ManifestDigest.org_id == org_id, ManifestDigest.kind == kind,
            ManifestDigest.name.in_([r["name"] for r in chunk])))
        session.execute(insert(ManifestDigest),
                        [{**r, "org_id": org_id, "kind": kind} for r in chunk])
