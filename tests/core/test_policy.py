"""The role → permission matrix of core.policy."""

from __future__ import annotations

import pytest

from socialhub.core.policy import (
    MATRIX,
    MEMBER_ROLES,
    Permission,
    Role,
    allows,
    may_grant,
    permissions_of,
)


def test_owner_may_do_everything() -> None:
    assert all(allows(Role.OWNER, p) for p in Permission)


def test_admin_may_do_everything_but_manage_the_organization_itself() -> None:
    assert permissions_of(Role.ADMIN) == frozenset(Permission) - {Permission.ORG_MANAGE}


def test_viewer_only_reads() -> None:
    assert permissions_of(Role.VIEWER) == {
        Permission.POSTS_READ, Permission.ACCOUNTS_READ, Permission.QUEUE_READ,
        Permission.CAMPAIGNS_READ, Permission.VOICES_READ, Permission.SLOTS_READ,
        Permission.MANIFESTS_EXPORT, Permission.ANALYTICS_READ, Permission.MEMBERS_READ,
        Permission.ORG_READ, Permission.INBOX_READ, Permission.RULES_READ,
        # and make API tokens for themself, which can do no more than they can
        Permission.API_TOKENS_MANAGE, Permission.EXPERIMENTS_READ}


@pytest.mark.parametrize(("role", "permission", "expected"), [
    (Role.EDITOR, Permission.POSTS_WRITE, True),
    (Role.EDITOR, Permission.POSTS_PUBLISH, True),
    (Role.EDITOR, Permission.POSTS_APPROVE, False),
    (Role.EDITOR, Permission.ACCOUNTS_MANAGE, False),
    (Role.EDITOR, Permission.MANIFESTS_APPLY, True),
    (Role.REVIEWER, Permission.POSTS_APPROVE, True),
    (Role.REVIEWER, Permission.POSTS_COMMENT, True),
    (Role.REVIEWER, Permission.POSTS_PUBLISH, False),
    (Role.REVIEWER, Permission.POSTS_WRITE, False),
    (Role.VIEWER, Permission.POSTS_WRITE, False),
    (Role.VIEWER, Permission.POSTS_COMMENT, False),
    (Role.VIEWER, Permission.POSTS_READ, True),
    (Role.VIEWER, Permission.AUDIT_READ, False),
    (Role.ADMIN, Permission.MEMBERS_MANAGE, True),
    (Role.VIEWER, Permission.ANALYTICS_READ, True),
    (Role.VIEWER, Permission.ANALYTICS_IMPORT, False),
    (Role.EDITOR, Permission.ANALYTICS_IMPORT, True),
    (Role.DAEMON, Permission.DELIVERIES_SEND, True),
    (Role.DAEMON, Permission.POSTS_APPROVE, False),
    (Role.DAEMON, Permission.POSTS_WRITE, True),  # a rule's draft
    (Role.DAEMON, Permission.MEMBERS_MANAGE, False),
    (Role.VIEWER, Permission.INBOX_READ, True),
    (Role.VIEWER, Permission.INBOX_REPLY, False),
    (Role.REVIEWER, Permission.INBOX_REPLY, False),
    (Role.REVIEWER, Permission.INBOX_MANAGE, False),
    (Role.EDITOR, Permission.INBOX_REPLY, True),
    (Role.EDITOR, Permission.INBOX_MANAGE, True),
    (Role.VIEWER, Permission.API_TOKENS_MANAGE, True),
    (Role.DAEMON, Permission.API_TOKENS_MANAGE, False),
    (Role.SYNC, Permission.API_TOKENS_MANAGE, False),
    (Role.VIEWER, Permission.EXPERIMENTS_READ, True),
    (Role.VIEWER, Permission.EXPERIMENTS_MANAGE, False),
    (Role.REVIEWER, Permission.EXPERIMENTS_MANAGE, False),
    (Role.EDITOR, Permission.EXPERIMENTS_MANAGE, True),
    (Role.EDITOR, Permission.EVERGREEN_MANAGE, True),
    (Role.VIEWER, Permission.EVERGREEN_MANAGE, False),
    (Role.EDITOR, Permission.WEBHOOKS_READ, True),
    (Role.EDITOR, Permission.WEBHOOKS_MANAGE, False),
    (Role.VIEWER, Permission.WEBHOOKS_READ, False),
    (Role.ADMIN, Permission.WEBHOOKS_MANAGE, True),
    (Role.DAEMON, Permission.WEBHOOKS_SEND, True),
    (Role.DAEMON, Permission.WEBHOOKS_READ, False),
])
def test_matrix_rows(role: Role, permission: Permission, expected: bool) -> None:
    assert allows(role, permission) is expected


def test_every_role_has_a_row_and_member_roles_nest() -> None:
    assert set(MATRIX) == set(Role)
    assert permissions_of(Role.VIEWER) < permissions_of(Role.EDITOR) < permissions_of(Role.ADMIN)
    assert permissions_of(Role.VIEWER) < permissions_of(Role.REVIEWER) < permissions_of(Role.ADMIN)
    assert permissions_of(Role.ADMIN) < permissions_of(Role.OWNER)


def test_the_daemon_only_sends_collects_and_refreshes() -> None:
    assert Role.DAEMON not in MEMBER_ROLES
    assert permissions_of(Role.DAEMON) == {
        Permission.DELIVERIES_SEND, Permission.METRICS_COLLECT, Permission.TOKENS_REFRESH,
        Permission.POSTS_READ, Permission.ACCOUNTS_READ, Permission.QUEUE_READ,
        Permission.ANALYTICS_READ, Permission.INBOX_READ,
        # the rules job: it reads the rules and acts on the inbox
        Permission.RULES_READ, Permission.RULES_MANAGE, Permission.INBOX_REPLY,
        Permission.INBOX_MANAGE,
        # and drafts posts (AI-written too) and schedules them; approvals still apply
        Permission.POSTS_WRITE, Permission.POSTS_PUBLISH, Permission.AI_GENERATE,
        # the experiments job records winners; the evergreen job requeues posts
        Permission.EXPERIMENTS_READ, Permission.EXPERIMENTS_MANAGE,
        Permission.EVERGREEN_MANAGE,
        # the webhooks job: it sends the webhook deliveries that are due
        Permission.WEBHOOKS_SEND}


@pytest.mark.parametrize(("granter", "role", "expected"), [
    (Role.OWNER, Role.OWNER, True), (Role.ADMIN, Role.OWNER, False),
    (Role.ADMIN, Role.ADMIN, True), (Role.ADMIN, Role.EDITOR, True),
    (Role.EDITOR, Role.VIEWER, False), (Role.OWNER, Role.DAEMON, False),
])
def test_nobody_grants_a_role_above_their_own(granter: Role, role: Role, expected: bool) -> None:
    assert may_grant(granter, role) is expected


def test_scopes_grant_only_what_they_name_and_never_the_org_itself() -> None:
    from socialhub.core.policy import SCOPES, scope_permissions, unknown_scopes

    assert scope_permissions(["posts:read"]) == {Permission.POSTS_READ}
    assert scope_permissions(["posts:write", "analytics:read"]) >= {
        Permission.POSTS_WRITE, Permission.ANALYTICS_READ}
    every = scope_permissions(list(SCOPES))
    # Renaming or removing the organization, and the daemon's own jobs, stay out of
    # reach of every token (a webhook test event is sent at once: webhooks.send).
    assert not every & {Permission.ORG_MANAGE, Permission.DELIVERIES_SEND,
                        Permission.METRICS_COLLECT, Permission.TOKENS_REFRESH}
    # Each scope for a team's administration names exactly what it grants.
    assert SCOPES["members:read"] == {Permission.MEMBERS_READ}
    assert SCOPES["members:write"] == {Permission.MEMBERS_READ, Permission.MEMBERS_MANAGE}
    assert SCOPES["tokens:write"] == {Permission.API_TOKENS_MANAGE}
    assert SCOPES["org:write"] == {Permission.ORG_READ, Permission.SETTINGS_MANAGE}
    assert SCOPES["accounts:write"] == {Permission.ACCOUNTS_READ,
                                        Permission.ACCOUNTS_MANAGE}
    assert SCOPES["audit:read"] == {Permission.AUDIT_READ}
    assert unknown_scopes(["posts:read", "admin:all"]) == ["admin:all"]
    assert scope_permissions(["admin:all"]) == frozenset()


def test_scopes_for_manifests_experiments_evergreen_and_ai_usage() -> None:
    from socialhub.core.policy import scope_permissions

    # Export, diff and preview read; apply writes (and may read what it plans against).
    assert scope_permissions(["manifests:read"]) == {Permission.MANIFESTS_EXPORT,
                                                     Permission.POSTS_READ}
    assert scope_permissions(["manifests:write"]) == {Permission.MANIFESTS_EXPORT,
                                                      Permission.MANIFESTS_APPLY,
                                                      Permission.POSTS_READ}
    assert scope_permissions(["experiments:read"]) == {Permission.EXPERIMENTS_READ}
    # Promoting a winner also needs evergreen:write: the scopes are not folded together.
    assert Permission.EVERGREEN_MANAGE not in scope_permissions(["experiments:write"])
    assert scope_permissions(["evergreen:write"]) == {Permission.EVERGREEN_MANAGE,
                                                      Permission.POSTS_READ}
    assert scope_permissions(["ai:read"]) == {Permission.AI_USAGE_READ}
    # Applying manifests never reaches members or settings through a scope.
    assert not scope_permissions(["manifests:write"]) & {
        Permission.MEMBERS_MANAGE, Permission.SETTINGS_MANAGE, Permission.MEMBERS_READ,
        Permission.ORG_READ}


def test_docs_api_lists_every_scope_with_its_permissions() -> None:
    from pathlib import Path

    from socialhub.core.policy import SCOPES

    doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for scope, granted in SCOPES.items():
        row = f"| `{scope}` | " + ", ".join(f"`{p.value}`" for p in sorted(granted)) + " |"
        assert row in doc, f"docs/api.md: the scope table lacks {row}"


def test_an_unknown_role_may_do_nothing() -> None:
    assert not allows("intern", Permission.POSTS_READ)
    assert permissions_of("intern") == frozenset()
    assert allows("owner", Permission.ORG_MANAGE)


def test_policy_imports_only_the_standard_library() -> None:
    import ast
    from pathlib import Path

    import socialhub.core.policy as policy

    tree = ast.parse(Path(policy.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules <= {"__future__", "enum"}
