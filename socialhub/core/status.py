"""The states records move through; plain enums shared by every layer."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    DISABLED = "disabled"


class CredentialStatus(enum.StrEnum):
    VALID = "valid"
    REFRESH_PENDING = "refresh_pending"
    ERROR = "error"
    REVOKED = "revoked"


class CampaignStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIALLY_PUBLISHED = "partially_published"
    FAILED = "failed"
    CANCELED = "canceled"


class DeliveryStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    RETRY_SCHEDULED = "retry_scheduled"
    UNCONFIRMED = "unconfirmed"
    DEAD = "dead"
    CANCELED = "canceled"


#: Deliveries that may still go out; cancel/unschedule act on these.
PENDING_DELIVERY_STATES = frozenset(
    {DeliveryStatus.SCHEDULED, DeliveryStatus.RETRY_SCHEDULED, DeliveryStatus.CLAIMED}
)
#: Deliveries that are finished one way or another.
FINAL_DELIVERY_STATES = frozenset(
    {DeliveryStatus.PUBLISHED, DeliveryStatus.DEAD, DeliveryStatus.CANCELED}
)
