"""Typed SQLAlchemy models for every kind of record (see ARCHITECTURE.md, Records).

All timestamps are UTC (``UTCDateTime``). A target's intended local time and
zone are kept beside the UTC instant so a DST change never moves a post.
Statuses are plain strings holding values of the enums in ``core.status``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from socialhub.core.status import DeliveryStatus
from socialhub.db.types import UTCDateTime, utcnow

#: The deliveries waiting for their next attempt (the partial index ix_deliveries_open_due):
#: ``db.queries.delivery`` names the same statuses, as literals, when it claims.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.RETRY_SCHEDULED,
                          DeliveryStatus.UNCONFIRMED)
OPEN_DELIVERY_PREDICATE = "status IN ({})".format(
    ", ".join(f"'{status}'" for status in OPEN_DELIVERY_STATUSES))

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def only_on(dialect: str, index: Index) -> Index:
    """``index``, created only on ``dialect`` (by ``create_all``) and compared only there
    (``exists_on``: Alembic's autogenerate does not read ``ddl_if``)."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)


def exists_on(dialect: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook: keeps the schema items that exist on ``dialect``
    (everything but the indexes declared ``only_on`` another database)."""
    def include(item: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        if reflected:
            return True
        return getattr(item, "info", {}).get("only_on", dialect) == dialect
    return include


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Organization settings, e.g. ``{"approvals": "required"}`` (teams).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    #: Who the person is to the system: the local OS user name on SQLite, the
    #: database login role on PostgreSQL. None for rows made before teams.
    login: Mapped[str | None] = mapped_column(String(200), unique=True)


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("org_id", "platform", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    base_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credential: Mapped[Credential | None] = relationship(
        back_populates="account", cascade="all, delete-orphan", uselist=False
    )

    @property
    def ref(self) -> str:
        """The reference people and manifests use: ``platform:@handle``."""
        return f"{self.platform}:@{self.handle}"


class Credential(TimestampMixin, Base):
    __tablename__ = "credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    key_id: Mapped[str] = mapped_column(String(64))
    access_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    extra_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column()
    refresh_expires_at: Mapped[datetime | None] = mapped_column()
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    refresh_owner: Mapped[str | None] = mapped_column(String(200))
    refresh_lease_until: Mapped[datetime | None] = mapped_column()
    account: Mapped[Account] = relationship(back_populates="credential")


class VoiceProfile(TimestampMixin, Base):
    __tablename__ = "voice_profiles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    tone: Mapped[list[Any]] = mapped_column(default=list)
    formality: Mapped[int | None] = mapped_column(Integer)
    emoji_use: Mapped[str | None] = mapped_column(String(20))
    phrases_use: Mapped[list[Any]] = mapped_column(default=list)
    phrases_avoid: Mapped[list[Any]] = mapped_column(default=list)
    samples: Mapped[list[Any]] = mapped_column(default=list)
    statistics: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Campaign(TimestampMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    starts_on: Mapped[Any | None] = mapped_column(Date)
    ends_on: Mapped[Any | None] = mapped_column(Date)
    budget: Mapped[Any | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    #: ``off`` or ``required``; None follows the organization's setting.
    approvals: Mapped[str | None] = mapped_column(String(20))
    #: The brief (``spec.brief`` of the manifest, defaults left out): topic, audience,
    #: tone, voice, languages, platforms, regions, key messages, constraints, paid.
    brief: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The campaign's own UTM template (``spec.utm``); None follows ``links.utm``.
    utm: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Post(TimestampMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    voice_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_profiles.id", ondelete="SET NULL")
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    tags: Mapped[list[Any]] = mapped_column(default=list)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), default="draft")
    #: The login of the person who created the post (None before teams).
    created_by: Mapped[str | None] = mapped_column(String(200))
    #: The approval in force (teams): who approved, when, and a digest of the
    #: content approved — an edit changes the content, so the approval lapses.
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_digest: Mapped[str | None] = mapped_column(String(64))
    # The manifest directory (or repository) that owns the post: ``apply --prune`` cancels
    # only what its own directory no longer lists. ``source_commit``: the git commit that
    # last applied it, when it came from a repository.
    source: Mapped[str | None] = mapped_column(String(500), index=True)
    source_commit: Mapped[str | None] = mapped_column(String(64))
    variants: Mapped[list[Variant]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Variant.id"
    )
    campaign: Mapped[Campaign | None] = relationship()
    voice: Mapped[VoiceProfile | None] = relationship()


class Variant(TimestampMixin, Base):
    """One post's text for one target account, with that target's schedule."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("post_id", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    thread: Mapped[list[Any]] = mapped_column(default=list)
    media: Mapped[list[Any]] = mapped_column(default=list)
    first_comment: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column()
    local_time: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: The text's language (BCP 47, e.g. ``fr-CA``): given, translated to, or detected.
    language: Mapped[str | None] = mapped_column(String(35))
    post: Mapped[Post] = relationship(back_populates="variants")
    account: Mapped[Account] = relationship()

    @property
    def parts(self) -> list[str]:
        """The texts that go out, in order: the thread when split, else the text."""
        return [str(p) for p in self.thread] if self.thread else [self.text]


class Delivery(TimestampMixin, Base):
    """One variant due on one account at one instant; the unit the daemon publishes."""

    __tablename__ = "deliveries"
    # ix_deliveries_published: analytics reads published deliveries by when they went out.
    # ix_deliveries_open_due (PostgreSQL): the deliveries waiting for an attempt, in the
    # order claims take them, so a claim reads as many rows as it takes, not every due row
    # (a query must name the statuses as literals for the planner to prove it applies;
    # SQLite's planner already stops early through ix_deliveries_due).
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_deliveries_published", "status", "published_at"),
                      only_on("postgresql", Index(
                          "ix_deliveries_open_due", "next_attempt_at", "id",
                          postgresql_where=text(OPEN_DELIVERY_PREDICATE))))
    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: every finished send re-derives its post's status through variant_id,
    # and pausing an account's queue goes through account_id.
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column()
    next_attempt_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    remote_id: Mapped[str | None] = mapped_column(String(500))
    remote_url: Mapped[str | None] = mapped_column(String(1000))
    thread_progress: Mapped[list[Any]] = mapped_column(default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_class: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column()
    #: The inbox item this delivery answers (a reply from the inbox), else None.
    inbox_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_items.id", ondelete="SET NULL"), index=True)
    variant: Mapped[Variant] = relationship()
    account: Mapped[Account] = relationship()


class Attempt(Base):
    """Every call made to a platform for a delivery, recorded before the call."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)


class MetricSnapshot(Base):
    __tablename__ = "metric_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    video_views: Mapped[int | None] = mapped_column(BigInteger)
    followers_delta: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MetricLatest(Base):
    """A delivery's newest metrics, kept beside its snapshots so reads never pick
    among them (analytics reads this; ``metric_snapshots`` keeps the history).

    A column is NULL where the platform does not give that metric (absent, not 0).
    ``source`` is ``platform`` for captures and ``import`` for imported history.
    """

    __tablename__ = "metric_latest"
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="platform")
    first_captured_at: Mapped[datetime] = mapped_column()
    captured_at: Mapped[datetime] = mapped_column()
    snapshots: Mapped[int] = mapped_column(Integer, default=1)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    video_views: Mapped[int | None] = mapped_column(BigInteger)


class AccountSnapshot(Base):
    """An account's own counts on one UTC day (the last capture of that day wins);
    NULL where the platform does not give the count."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("account_id", "captured_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    captured_on: Mapped[Any] = mapped_column(Date)
    captured_at: Mapped[datetime] = mapped_column()
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AlertSent(Base):
    """An alert that went out: one row per rule and occurrence (a post passing 1,000
    likes, a delivery dying…), so each fires once, never again on the next run."""

    __tablename__ = "alerts_sent"
    __table_args__ = (UniqueConstraint("org_id", "rule", "occurrence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(index=True)


class Slot(TimestampMixin, Base):
    """A weekly posting slot: weekday (0=Monday) and local time in a zone, per account."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("account_id", "weekday", "time"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(500), index=True)  # as Post.source
    source_commit: Mapped[str | None] = mapped_column(String(64))
    account: Mapped[Account] = relationship()


class Recurrence(TimestampMixin, Base):
    """An evergreen post that repeats until its end condition (docs/campaigns.md).

    ``frequency`` is ``cooldown``: the post goes back into its accounts' next free
    slots ``interval`` days after its last time out. It ends after
    ``max_occurrences`` requeues or once the next slot would fall after ``ends_at``
    (then ``next_at`` is None).
    """

    __tablename__ = "recurrences"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(20))
    interval: Mapped[int] = mapped_column(Integer, default=1)
    ends_at: Mapped[datetime | None] = mapped_column()
    max_occurrences: Mapped[int | None] = mapped_column(Integer)
    occurrences: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column()
    post: Mapped[Post] = relationship()


class Media(TimestampMixin, Base):
    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    path: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2000))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    mime: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    alt_text: Mapped[str | None] = mapped_column(Text)


class PostComment(Base):
    """One entry in a post's review thread: a comment, a submission, an approval
    or a request for changes (``kind``)."""

    __tablename__ = "post_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="comment")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxItem(Base):
    """One comment, mention, reply, quote or message an account received.

    ``remote_id`` is unique per account: a sync that sees an item again never
    stores it twice. ``parent_id`` / ``conversation_id`` are the platform's ids
    of the post it answers and of its thread; ``context`` holds what a reply
    needs (Bluesky's cid and root). ``assignee`` is a login (``users.login``).
    """

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("account_id", "remote_id"),
        Index("ix_inbox_items_org_received", "org_id", "received_at"),
        Index("ix_inbox_items_conversation", "account_id", "conversation_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    author_handle: Mapped[str] = mapped_column(String(320))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    #: Our delivery this item answers, when it could be matched (no foreign key:
    #: ``deliveries.inbox_item_id`` points the other way, and SQLite's batch
    #: migrations cannot build a cycle; a delivery removed later leaves a stale id).
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(500))
    conversation_id: Mapped[str | None] = mapped_column(String(500))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column()
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee: Mapped[str | None] = mapped_column(String(200))
    #: ``positive``, ``neutral`` or ``negative`` (None: not analysed).
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    #: e.g. ``["abusive"]``, ``["spam"]``.
    flags: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(10))


class InboxCursor(Base):
    """Where an account's inbox sync stopped: the platform's cursor, kept across errors."""

    __tablename__ = "inbox_cursors"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    synced_at: Mapped[datetime | None] = mapped_column()
    #: Not before this instant (a rate limit's reset, a backoff after errors).
    next_sync_at: Mapped[datetime | None] = mapped_column()
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """One change to one record: who, through which channel, what, when, before/after.

    Append-only and chained per organization (``core/audit_chain.py``): ``hash``
    covers the row's fields and ``prev_hash``, the hash of the row before it in
    the same organization's chain. ``prev_hash`` is unique, so a chain cannot
    fork. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE (migration
    0004); write rows only through ``db/queries/audit.append_audit_rows``.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_chain", "org_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    record_kind: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_name: Mapped[str | None] = mapped_column(String(300))
    change: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The front end the change came through: cli, tui, daemon, api, mcp (None: unknown).
    channel: Mapped[str | None] = mapped_column(String(20))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class JobRun(Base):
    """The daemon's heartbeat: when each job last ran, and how it ended."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class GitSync(Base):
    """The last commit a repository's manifests were synced from, per organization.

    The row is locked while a sync applies, so two daemons never apply one commit twice.
    """

    __tablename__ = "git_syncs"
    __table_args__ = (UniqueConstraint("org_id", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(500))
    commit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="never")
    error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column()
    # The publication registry written back (``published.yaml``): its last commit,
    # and the error that stops it (alerted once).
    registry_commit: Mapped[str | None] = mapped_column(String(64))
    registry_error: Mapped[str | None] = mapped_column(Text)


class AIUsage(Base):
    """One call to an AI provider: tokens, cost and latency, per organization."""

    __tablename__ = "ai_usage"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100))
    task: Mapped[str] = mapped_column(String(50))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)


class Rule(TimestampMixin, Base):
    """A workflow rule (``kind: Rule``): a trigger, conditions, actions (docs/rules.md).

    ``last_item_id`` is how far the rules job has read the inbox for this rule: a
    new rule starts at the newest item, so it answers what arrives after it, never
    the backlog.
    """

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    per_hour: Mapped[int] = mapped_column(Integer, default=20)
    last_item_id: Mapped[int] = mapped_column(Integer, default=0)
    #: Where the other triggers are: ``since`` (when the trigger was set; nothing
    #: before it fires), ``published_after`` (post_published), ``last_tick`` (cron),
    #: ``seen``/``etag``/``modified``/``fetched_at``/``error`` (feed), ``over`` (the
    #: metric_threshold subjects already over the value when the rule started).
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RuleRun(Base):
    """One execution of a rule on one subject (``inbox:<id>``, ``delivery:<id>``,
    ``metric:…``, ``cron:<instant>``, ``feed:<entry>``): its outcome and actions.

    Unique per rule, subject and ``dry_run``: a rule never acts on the same item twice
    (a dry run and then the live run are two rows).
    """

    __tablename__ = "rule_runs"
    __table_args__ = (UniqueConstraint("rule_id", "subject", "dry_run"),
                      Index("ix_rule_runs_org_ran", "org_id", "ran_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    rule_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(40))
    #: ``done``, ``dry_run``, ``rate_limited``, ``skipped`` or ``failed``.
    outcome: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ran_at: Mapped[datetime] = mapped_column()


class Policy(TimestampMixin, Base):
    """A content policy (``kind: Policy``): rules every post of the organization, or of one
    campaign, is checked against at lint, apply, scheduling and in the editor.

    ``spec`` is the manifest's spec as written (defaults left out), so an export gives
    back the same YAML; ``core.content_policy.PolicySpec`` reads it.
    """

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    #: None: the whole organization. A campaign's removal removes its policies.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    campaign: Mapped[Campaign | None] = relationship()


class ApiToken(Base):
    """A scoped bearer token for the HTTP API (docs/api.md): it acts as ``user_id``.

    Only the SHA-256 of the token is kept (the token is shown once, at creation);
    ``prefix`` is its first characters, to recognise it in a list. Revoked and
    expired tokens stay for the audit trail and are refused.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class ApiIdempotency(Base):
    """The first answer to one ``Idempotency-Key`` of one token, replayed on a repeat.

    ``fingerprint`` is the SHA-256 of the method, path and body: the same key with
    another request is refused (422), never answered with the first one's result.
    """

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),
                      Index("ix_api_idempotency_created", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Experiment(TimestampMixin, Base):
    """An A/B test (``kind: Experiment``): two or more arms (posts), a metric to optimise,
    a minimum sample per arm and the confidence a winner needs (docs/campaigns.md).

    ``status`` is ``running`` until ``experiments promote`` sends the winner
    (``winner``, an arm's name) to the evergreen queue: then ``promoted``.
    """

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    #: ``likes``, ``clicks``, ``engagement_rate`` or ``ctr`` (each per impression).
    metric: Mapped[str] = mapped_column(String(20))
    #: ``accounts`` (each arm on its own account) or ``slots`` (one account, other times).
    split: Mapped[str] = mapped_column(String(10))
    min_sample: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="running")
    winner: Mapped[str | None] = mapped_column(String(100))
    promoted_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(500))  # as Post.source
    arms: Mapped[list[ExperimentArm]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan",
        order_by="ExperimentArm.position")
    campaign: Mapped[Campaign | None] = relationship()


class ExperimentArm(Base):
    """One arm of an experiment: its name and the post that carries its text."""

    __tablename__ = "experiment_arms"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    experiment: Mapped[Experiment] = relationship(back_populates="arms")
    post: Mapped[Post] = relationship()


class WebhookDelivery(Base):
    """One event on its way to one webhook endpoint: the body, and how sending it went.

    Written after the event's transaction committed (``services/webhooks``); sent at
    once by the process that published it and, when that fails, by the daemon's
    ``webhooks`` job with exponential backoff. ``webhook_id`` is the ``webhook-id``
    header, the same on every attempt so receivers can drop duplicates; ``body`` is the
    exact JSON sent (signed per attempt with a fresh timestamp). ``status``: ``pending``
    (not tried yet), ``sending`` (claimed until ``next_attempt_at``), ``failed`` (will
    be tried again at ``next_attempt_at``), ``delivered`` or ``dead``.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_webhook_deliveries_org_created", "org_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShortLink(Base):
    """A first-party short link: ``/l/<code>`` redirects to ``target`` (the tagged URL).

    One per variant and link as written (``url``): sending the same variant again
    reuses its code. The code is global (the redirect knows no organization).
    """

    __tablename__ = "short_links"
    __table_args__ = (UniqueConstraint("variant_id", "url_hash"),
                      Index("ix_short_links_org_post", "org_id", "post_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: The link as the author wrote it, and its sha256 (the idempotency key with the variant).
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64))
    #: Where the redirect goes: ``url`` with the campaign's UTM tags.
    target: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variants.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkClickDaily(Base):
    """How many times a short link was followed on one UTC day (people only, no bots).

    Nothing about who clicked is kept: no address, no user agent, only the count.
    """

    __tablename__ = "link_clicks_daily"
    __table_args__ = (UniqueConstraint("link_id", "day"),
                      Index("ix_link_clicks_daily_org_day", "org_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    link_id: Mapped[int] = mapped_column(ForeignKey("short_links.id", ondelete="CASCADE"))
    day: Mapped[Any] = mapped_column(Date)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class ManifestDigest(Base):
    """What the last apply recorded of one record's manifest, so an unchanged one is skipped.

    ``digest`` covers the file's text and name, everything outside the file that
    planning it reads (accounts, campaigns, voices, policies, settings; see
    ``services.manifests.digests``) and the owning directory; ``documents`` is how
    many documents that file held; ``state`` is a digest of the record as the
    database held it right after that apply. A later apply skips the file only
    when all three still match.
    """

    __tablename__ = "manifest_digests"
    __table_args__ = (UniqueConstraint("org_id", "kind", "name"),
                      Index("ix_manifest_digests_org_digest", "org_id", "digest"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    documents: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64))
