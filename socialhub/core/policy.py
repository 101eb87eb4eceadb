"""Who may do what: the roles, the permissions and the one matrix between them.

Pure: no I/O and no imports beyond the standard library. Services ask
``allows(role, permission)`` (through ``services.context.use_case``); front ends
never decide permissions themselves.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A person's role in one organization, from most to least trusted.

    ``daemon`` is the system actor of the publishing daemon and ``sync`` the one
    the daemon applies a git repository as (``sync.git``): never granted to a
    person (``MEMBER_ROLES`` lists the ones that are).
    """

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    DAEMON = "daemon"
    SYNC = "sync"


#: The roles a member may hold, most trusted first.
MEMBER_ROLES: tuple[Role, ...] = (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER,
                                  Role.VIEWER)


class Permission(enum.StrEnum):
    """One kind of action a use case performs; each use case declares exactly one."""

    POSTS_READ = "posts.read"
    POSTS_WRITE = "posts.write"  # create, edit, remove drafts and their targets; submit them
    POSTS_PUBLISH = "posts.publish"  # schedule, unschedule, cancel, publish now
    POSTS_APPROVE = "posts.approve"  # approve or request changes (never one's own post)
    POSTS_COMMENT = "posts.comment"  # add to a post's review thread
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
    SETTINGS_MANAGE = "settings.manage"  # organization settings (approvals)
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"  # add, remove members, change their roles
    AUDIT_READ = "audit.read"
    ANALYTICS_READ = "analytics.read"  # overview, posts, top, best times, gaps
    ANALYTICS_IMPORT = "analytics.import"  # load past posts and their metrics
    ORG_READ = "org.read"  # see the organization's settings
    ORG_MANAGE = "org.manage"  # rename or remove the organization itself
    DELIVERIES_SEND = "deliveries.send"  # send what is scheduled and approved (the daemon)
    METRICS_COLLECT = "metrics.collect"  # fetch post metrics from the platforms (the daemon)
    TOKENS_REFRESH = "tokens.refresh"  # refresh the accounts' access tokens (the daemon)
    INBOX_READ = "inbox.read"  # list, show and sync the inbox
    INBOX_REPLY = "inbox.reply"  # answer an inbox item (a delivery on the account)
    INBOX_MANAGE = "inbox.manage"  # archive, assign, mark read or unread
    RULES_READ = "rules.read"  # list workflow rules, replay them (test), read their log
    RULES_MANAGE = "rules.manage"  # run workflow rules' actions (the daemon; editors apply)
    API_TOKENS_MANAGE = "api_tokens.manage"  # create, list, revoke one's own API tokens
    EXPERIMENTS_READ = "experiments.read"  # list experiments, their status and report
    EXPERIMENTS_MANAGE = "experiments.manage"  # record winners, promote one to evergreen
    EVERGREEN_MANAGE = "evergreen.manage"  # add to, remove from and requeue the evergreen queue
    WEBHOOKS_READ = "webhooks.read"  # list webhook endpoints and their delivery log
    WEBHOOKS_MANAGE = "webhooks.manage"  # send a test event to an endpoint
    WEBHOOKS_SEND = "webhooks.send"  # send the webhook deliveries that are due (the daemon)


_READS = frozenset({
    Permission.POSTS_READ, Permission.ACCOUNTS_READ, Permission.QUEUE_READ,
    Permission.CAMPAIGNS_READ, Permission.VOICES_READ, Permission.SLOTS_READ,
    Permission.MANIFESTS_EXPORT, Permission.ANALYTICS_READ, Permission.MEMBERS_READ,
    Permission.ORG_READ, Permission.INBOX_READ, Permission.RULES_READ,
    Permission.EXPERIMENTS_READ,
})

#: What only the daemon does: people publish by scheduling, the daemon sends.
_SYSTEM = frozenset({Permission.DELIVERIES_SEND, Permission.METRICS_COLLECT,
                     Permission.TOKENS_REFRESH, Permission.WEBHOOKS_SEND})

#: The one matrix: what each role may do. The owner may do everything.
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.ORG_MANAGE},
    # Editors write and put posts on the calendar; when approvals are required the
    # scheduling use cases also want a valid approval (services.teams.approvals).
    Role.EDITOR: _READS | {
        Permission.POSTS_WRITE, Permission.POSTS_PUBLISH, Permission.POSTS_COMMENT,
        Permission.QUEUE_MANAGE, Permission.CAMPAIGNS_WRITE, Permission.VOICES_WRITE,
        Permission.SLOTS_WRITE, Permission.MANIFESTS_APPLY, Permission.AI_GENERATE,
        Permission.ANALYTICS_IMPORT, Permission.AI_USAGE_READ, Permission.INBOX_REPLY,
        Permission.INBOX_MANAGE, Permission.RULES_MANAGE, Permission.API_TOKENS_MANAGE,
        Permission.EXPERIMENTS_MANAGE, Permission.EVERGREEN_MANAGE, Permission.WEBHOOKS_READ,
    },
    # Reviewers judge posts; they neither write nor schedule them.
    Role.REVIEWER: _READS | {
        Permission.POSTS_APPROVE, Permission.POSTS_COMMENT, Permission.AI_USAGE_READ,
        Permission.API_TOKENS_MANAGE,
    },
    Role.VIEWER: _READS | {Permission.API_TOKENS_MANAGE},
    # The alerts job and the digest read analytics; the inbox job syncs the inbox; the
    # rules job reads the rules and runs their actions (a reply, archive/assign/tag; a
    # draft, written or AI-written, scheduled into a free slot — approvals still apply:
    # the daemon never approves nor bypasses).
    Role.DAEMON: _SYSTEM | {Permission.POSTS_READ, Permission.ACCOUNTS_READ,
                            Permission.QUEUE_READ, Permission.ANALYTICS_READ,
                            Permission.INBOX_READ, Permission.RULES_READ,
                            Permission.RULES_MANAGE, Permission.INBOX_REPLY,
                            Permission.INBOX_MANAGE, Permission.POSTS_WRITE,
                            Permission.POSTS_PUBLISH, Permission.AI_GENERATE,
                            Permission.EXPERIMENTS_READ, Permission.EXPERIMENTS_MANAGE,
                            Permission.EVERGREEN_MANAGE},
    # The daemon applying a reviewed repository: what `apply` writes, and no more.
    # It never approves: with approvals required, a post's times still need an
    # approval of its content (docs/ci.md).
    Role.SYNC: _READS | {
        Permission.MANIFESTS_APPLY, Permission.POSTS_WRITE, Permission.POSTS_PUBLISH,
        Permission.CAMPAIGNS_WRITE, Permission.VOICES_WRITE, Permission.SLOTS_WRITE,
        Permission.ACCOUNTS_MANAGE,
    },
}

#: How far each member role reaches: nobody grants a role ranked above their own.
RANK: dict[Role, int] = {Role.OWNER: 4, Role.ADMIN: 3, Role.EDITOR: 2, Role.REVIEWER: 2,
                         Role.VIEWER: 1, Role.DAEMON: 0, Role.SYNC: 0}


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


def may_grant(granter: Role | str, role: Role | str) -> bool:
    """Whether a member with role ``granter`` may give (or take away) ``role``: only
    roles ranked no higher than their own, and only with ``members.manage``."""
    try:
        mine, theirs = Role(granter), Role(role)
    except ValueError:
        return False
    return (allows(mine, Permission.MEMBERS_MANAGE) and theirs in MEMBER_ROLES
            and RANK[theirs] <= RANK[mine])


#: What each API token scope lets a token do (docs/api.md). A token acts as the member
#: who made it: its effective permissions are the member's role's permissions
#: intersected with the union of its scopes' permissions. No scope reaches
#: ``org.manage`` (renaming or removing the organization stays with its owner at the
#: CLI) nor the daemon's own jobs, except ``webhooks.send`` for a test event.
SCOPES: dict[str, frozenset[Permission]] = {
    "posts:read": frozenset({Permission.POSTS_READ}),
    "posts:write": frozenset({Permission.POSTS_READ, Permission.POSTS_WRITE,
                              Permission.POSTS_COMMENT}),
    "posts:publish": frozenset({Permission.POSTS_READ, Permission.POSTS_PUBLISH}),
    "posts:approve": frozenset({Permission.POSTS_READ, Permission.POSTS_APPROVE,
                                Permission.POSTS_COMMENT}),
    "accounts:read": frozenset({Permission.ACCOUNTS_READ}),
    "queue:read": frozenset({Permission.QUEUE_READ}),
    "queue:write": frozenset({Permission.QUEUE_READ, Permission.QUEUE_MANAGE}),
    "campaigns:read": frozenset({Permission.CAMPAIGNS_READ}),
    "campaigns:write": frozenset({Permission.CAMPAIGNS_READ, Permission.CAMPAIGNS_WRITE}),
    "slots:read": frozenset({Permission.SLOTS_READ}),
    "slots:write": frozenset({Permission.SLOTS_READ, Permission.SLOTS_WRITE}),
    "voices:read": frozenset({Permission.VOICES_READ}),
    "voices:write": frozenset({Permission.VOICES_READ, Permission.VOICES_WRITE}),
    "analytics:read": frozenset({Permission.ANALYTICS_READ}),
    "inbox:read": frozenset({Permission.INBOX_READ}),
    "inbox:write": frozenset({Permission.INBOX_READ, Permission.INBOX_MANAGE,
                              Permission.INBOX_REPLY}),
    "ai:generate": frozenset({Permission.AI_GENERATE}),
    "accounts:write": frozenset({Permission.ACCOUNTS_READ, Permission.ACCOUNTS_MANAGE}),
    "org:read": frozenset({Permission.ORG_READ}),
    "org:write": frozenset({Permission.ORG_READ, Permission.SETTINGS_MANAGE}),
    "members:read": frozenset({Permission.MEMBERS_READ}),
    "members:write": frozenset({Permission.MEMBERS_READ, Permission.MEMBERS_MANAGE}),
    "audit:read": frozenset({Permission.AUDIT_READ}),
    # A token may make tokens with at most its own scopes (services.access.tokens).
    "tokens:write": frozenset({Permission.API_TOKENS_MANAGE}),
    "analytics:import": frozenset({Permission.ANALYTICS_IMPORT}),
    "rules:read": frozenset({Permission.RULES_READ}),
    "webhooks:read": frozenset({Permission.WEBHOOKS_READ}),
    # A test event is sent at once, as `webhooks test` does: hence webhooks.send.
    "webhooks:write": frozenset({Permission.WEBHOOKS_READ, Permission.WEBHOOKS_MANAGE,
                                 Permission.WEBHOOKS_SEND}),
    "ai:read": frozenset({Permission.AI_USAGE_READ}),
    "evergreen:write": frozenset({Permission.POSTS_READ, Permission.EVERGREEN_MANAGE}),
    "experiments:read": frozenset({Permission.EXPERIMENTS_READ}),
    "experiments:write": frozenset({Permission.EXPERIMENTS_READ,
                                    Permission.EXPERIMENTS_MANAGE}),
    # Manifests hold every post: reading them is reading posts (apply's warnings too).
    "manifests:read": frozenset({Permission.MANIFESTS_EXPORT, Permission.POSTS_READ}),
    "manifests:write": frozenset({Permission.MANIFESTS_EXPORT, Permission.MANIFESTS_APPLY,
                                  Permission.POSTS_READ}),
}


def scope_permissions(scopes: tuple[str, ...] | list[str] | frozenset[str]
                      ) -> frozenset[Permission]:
    """The union of the permissions of ``scopes`` (an unknown scope grants nothing)."""
    granted: frozenset[Permission] = frozenset()
    for scope in scopes:
        granted |= SCOPES.get(scope, frozenset())
    return granted


def unknown_scopes(scopes: tuple[str, ...] | list[str]) -> list[str]:
    """The scopes in ``scopes`` that :data:`SCOPES` does not define, in order."""
    return [s for s in scopes if s not in SCOPES]
