"""Who may do what: the roles, the permissions and the one matrix between them.

Pure: no I/O and no imports beyond the standard library. Services ask
``allows(role, permission)`` (through ``services.context.use_case``); front ends
never decide permissions themselves.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A person's role in one organization, from most to least trusted."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    """One kind of action a use case performs; each use case declares exactly one."""

    POSTS_READ = "posts.read"
    POSTS_WRITE = "posts.write"  # create, edit, remove drafts and their targets
    POSTS_PUBLISH = "posts.publish"  # schedule, unschedule, cancel, publish now
    ACCOUNTS_READ = "accounts.read"
    ACCOUNTS_MANAGE = "accounts.manage"  # add, remove, connect accounts
    QUEUE_READ = "queue.read"
    QUEUE_MANAGE = "queue.manage"  # retry or cancel a delivery
    CAMPAIGNS_READ = "campaigns.read"
    CAMPAIGNS_WRITE = "campaigns.write"
    VOICES_READ = "voices.read"
    VOICES_WRITE = "voices.write"  # add, edit, train, remove voice profiles
    SLOTS_READ = "slots.read"
    SLOTS_WRITE = "slots.write"
    MANIFESTS_EXPORT = "manifests.export"
    MANIFESTS_APPLY = "manifests.apply"
    AI_GENERATE = "ai.generate"  # paid or offline generation and scoring
    AI_USAGE_READ = "ai.usage.read"
    SETTINGS_MANAGE = "settings.manage"
    MEMBERS_MANAGE = "members.manage"
    AUDIT_READ = "audit.read"
    ORG_MANAGE = "org.manage"  # rename or remove the organization itself
    INBOX_READ = "inbox.read"  # list, show and sync the inbox
    INBOX_REPLY = "inbox.reply"  # answer an inbox item (a delivery on the account)
    INBOX_MANAGE = "inbox.manage"  # archive, assign, mark read or unread


_READS = frozenset({
    Permission.POSTS_READ, Permission.ACCOUNTS_READ, Permission.QUEUE_READ,
    Permission.CAMPAIGNS_READ, Permission.VOICES_READ, Permission.SLOTS_READ,
    Permission.MANIFESTS_EXPORT, Permission.INBOX_READ,
})

#: The one matrix: what each role may do. The owner may do everything.
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.ORG_MANAGE},
    Role.EDITOR: _READS | {
        Permission.POSTS_WRITE, Permission.CAMPAIGNS_WRITE, Permission.VOICES_WRITE,
        Permission.SLOTS_WRITE, Permission.MANIFESTS_APPLY, Permission.AI_GENERATE,
        Permission.INBOX_REPLY, Permission.INBOX_MANAGE,
    },
    Role.REVIEWER: _READS | {
        Permission.POSTS_PUBLISH, Permission.QUEUE_MANAGE, Permission.AI_USAGE_READ,
        Permission.INBOX_REPLY,
    },
    Role.VIEWER: _READS,
}


def allows(role: Role | str, permission: Permission) -> bool:
    """Whether ``role`` may perform ``permission``; an unknown role may do nothing."""
    try:
        known = Role(role)
    except ValueError:
        return False
    return permission in MATRIX[known]


def permissions_of(role: Role | str) -> frozenset[Permission]:
    """Every permission ``role`` holds (empty for an unknown role)."""
    try:
        return MATRIX[Role(role)]
    except ValueError:
        return frozenset()
