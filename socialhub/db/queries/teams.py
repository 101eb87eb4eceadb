"""Reading people and review threads: who acts, the members of an organization, the
organizations a login belongs to, a post's comments and the posts waiting for review.

Written once for SQLite and PostgreSQL. On PostgreSQL the acting login is the
database's ``current_user``, read in the same statement as the membership.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Campaign, Membership, Organization, Post, PostComment, User, Variant


def is_postgres(session: Session) -> bool:
    """Whether ``session`` talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def acting_member(session: Session, org_id: int, login: str | None
                  ) -> tuple[str, int | None, str | None]:
    """``(login, user id, role in org_id)`` of the acting login, in one statement.

    ``login`` None means the database's own login (``current_user``, PostgreSQL).
    The user id is None when no user has the login; the role is None when the
    user is not a member of the organization.
    """
    me = select((literal(login) if login is not None else func.current_user())
                .label("login")).subquery("me")
    row = session.execute(
        select(me.c.login, User.id, Membership.role)
        .select_from(me.outerjoin(User, User.login == me.c.login)
                     .outerjoin(Membership, and_(Membership.user_id == User.id,
                                                 Membership.org_id == org_id)))).one()
    return str(row[0]), row[1], row[2]


def user_with_login(session: Session, login: str) -> User | None:
    """The user whose login is ``login``, or None."""
    return session.scalar(select(User).where(User.login == login))


def membership_of(session: Session, org_id: int, login: str) -> Membership | None:
    """The membership of ``login`` in the organization, or None."""
    return session.scalar(select(Membership).join(User, User.id == Membership.user_id)
                          .where(Membership.org_id == org_id, User.login == login))


def memberships(session: Session, org_id: int) -> list[tuple[Membership, User]]:
    """Every membership of the organization with its user, by login (unclaimed last)."""
    rows = session.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                           .where(Membership.org_id == org_id)
                           .order_by(User.login.is_(None), User.login, User.id))
    return [(m, u) for m, u in rows]


def count_role(session: Session, org_id: int, role: str) -> int:
    """How many members of the organization hold ``role``."""
    return int(session.scalar(select(func.count()).select_from(Membership).where(
        Membership.org_id == org_id, Membership.role == role)) or 0)


def unclaimed_owner(session: Session, org_id: int) -> Membership | None:
    """An owner membership of the organization whose user has no login yet (rows made
    before teams, or by the first run), when no member has a login; else None."""
    claimed = select(Membership.id).join(User, User.id == Membership.user_id).where(
        Membership.org_id == org_id, User.login.is_not(None))
    if session.scalar(claimed.limit(1)) is not None:
        return None
    return session.scalar(select(Membership).join(User, User.id == Membership.user_id)
                          .where(Membership.org_id == org_id, Membership.role == "owner",
                                 User.login.is_(None)).order_by(Membership.id).limit(1))


def has_members(session: Session, org_id: int) -> bool:
    """Whether the organization has any member at all."""
    return session.scalar(select(Membership.id).where(Membership.org_id == org_id)
                          .limit(1)) is not None


def user_membership_count(session: Session, user_id: int) -> int:
    """In how many organizations the user is a member."""
    return int(session.scalar(select(func.count()).select_from(Membership)
                              .where(Membership.user_id == user_id)) or 0)


def organization(session: Session, org_id: int) -> Organization | None:
    """The organization ``org_id``, or None."""
    return session.get(Organization, org_id)


def post_comments(session: Session, org_id: int, post_id: int) -> list[PostComment]:
    """The review thread of a post, oldest first."""
    return list(session.scalars(select(PostComment).where(
        PostComment.org_id == org_id, PostComment.post_id == post_id)
        .order_by(PostComment.created_at, PostComment.id)))


def posts_in_review(session: Session, org_id: int, statuses: tuple[str, ...]) -> list[Post]:
    """The organization's posts in one of ``statuses`` (waiting for a review), with
    their variants and accounts loaded, most recently updated last."""
    return list(session.scalars(select(Post).options(
        selectinload(Post.variants).selectinload(Variant.account))
        .where(Post.org_id == org_id, Post.status.in_(list(statuses)))
        .order_by(Post.updated_at, Post.id)))


def campaign_approvals(session: Session, campaign_id: int | None) -> str | None:
    """The ``approvals`` setting of the campaign (None without a campaign)."""
    if campaign_id is None:
        return None
    return session.scalar(select(Campaign.approvals).where(Campaign.id == campaign_id))


def organization_settings(session: Session, org_id: int) -> dict[str, Any]:
    """The organization's settings (empty when it has none)."""
    found = session.scalar(select(Organization.settings).where(Organization.id == org_id))
    return dict(found or {})


def last_submitted(session: Session, org_id: int, post_ids: list[int]) -> dict[int, Any]:
    """When each of the posts was last submitted for review (posts never submitted are
    left out)."""
    if not post_ids:
        return {}
    rows = session.execute(select(PostComment.post_id, func.max(PostComment.created_at))
                           .where(PostComment.org_id == org_id,
                                  PostComment.post_id.in_(post_ids),
                                  PostComment.kind == "submitted")
                           .group_by(PostComment.post_id))
    return {post_id: at for post_id, at in rows}


def database_login(session: Session) -> str:
    """The database's own login (``current_user``; PostgreSQL)."""
    return str(session.scalar(select(func.current_user())))


def roles_of(session: Session, login: str) -> dict[int, str]:
    """The role of ``login`` in each organization it belongs to, by organization id."""
    rows = session.execute(select(Membership.org_id, Membership.role)
                           .join(User, User.id == Membership.user_id)
                           .where(User.login == login))
    return {org_id: role for org_id, role in rows}


def organization_ids_by_name(session: Session) -> dict[str, int]:
    """Every organization's id by its name."""
    return {name: org_id for org_id, name in session.execute(
        select(Organization.id, Organization.name))}
