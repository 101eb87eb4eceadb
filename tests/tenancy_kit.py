"""Two organizations on a PostgreSQL database with the socialhub roles applied, and
real login roles to connect as: the ground the row-level security tests stand on.

Roles are cluster-wide, so every login made here carries a random suffix; the
group roles (``socialhub_app`` …) are created idempotently by ``db roles``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from socialhub.db import models as m
from socialhub.db.queries.audit import append_audit_rows
from socialhub.db.roles import apply_role_statements, role_statements


def url_as(url: str, login: str) -> str:
    """``url`` with ``login`` as its user name (the test cluster trusts every login)."""
    return make_url(url).set(username=login, password=None).render_as_string(
        hide_password=False)


def apply_roles(url: str) -> None:
    """``db roles --apply`` on ``url`` (a superuser URL)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        apply_role_statements(conn, role_statements(conn))
    engine.dispose()


def create_login(url: str, login: str, *, group: str = "socialhub_app") -> None:
    """A LOGIN role in ``group`` (run as the superuser of ``url``)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{login}" LOGIN IN ROLE {group}'))
    engine.dispose()


@contextmanager
def connect_as(url: str, login: str) -> Iterator[Connection]:
    """A connection as ``login``, in a transaction rolled back at the end."""
    engine = create_engine(url_as(url, login))
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                yield conn
            finally:
                trans.rollback()
    finally:
        engine.dispose()


@dataclass
class Tenants:
    """Organizations ``a`` and ``b`` with one row in every organization-owned table each.

    ``ids[org][table]`` is the id of that organization's row; ``logins`` maps a name
    used by the tests (``editor_a``, ``viewer_a``, ``reviewer_a``, ``admin_a``,
    ``owner_a``, ``owner_b``, ``both``) to the real login role.
    """

    url: str
    org: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)


#: (name, org, role) of the members the kit creates; ``both`` is an editor of a and b.
MEMBERS = (("owner_a", "a", "owner"), ("admin_a", "a", "admin"), ("editor_a", "a", "editor"),
           ("reviewer_a", "a", "reviewer"), ("viewer_a", "a", "viewer"),
           ("owner_b", "b", "owner"), ("both", "a", "editor"), ("both", "b", "editor"))


def make_tenants(url: str) -> Tenants:
    """Apply the roles on ``url`` (superuser), create the logins and seed both orgs."""
    apply_roles(url)
    suffix = uuid.uuid4().hex[:8]
    tenants = Tenants(url=url)
    for name in {name for name, _org, _role in MEMBERS}:
        tenants.logins[name] = f"{name}_{suffix}"
        create_login(url, tenants.logins[name])
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        users = {name: m.User(name=name, login=login) for name, login in tenants.logins.items()}
        session.add_all(users.values())
        for org in ("a", "b"):
            tenants.ids[org] = _seed_org(session, org, suffix)
            tenants.org[org] = tenants.ids[org]["organizations"]
            tenants.names[org] = f"org-{org}-{suffix}"
        session.flush()
        for name, org, role in MEMBERS:
            session.add(m.Membership(org_id=tenants.org[org], user_id=users[name].id, role=role))
    engine.dispose()
    return tenants


def _seed_org(session: Session, org: str, suffix: str) -> dict[str, int]:
    now = datetime.now(UTC)
    o = m.Organization(name=f"org-{org}-{suffix}")
    session.add(o)
    session.flush()
    account = m.Account(org_id=o.id, platform="sandbox", handle=f"{org}-acct")
    voice = m.VoiceProfile(org_id=o.id, name="house")
    campaign = m.Campaign(org_id=o.id, name="spring")
    post = m.Post(org_id=o.id, name=f"post-{org}", body=f"hello from {org}")
    media = m.Media(org_id=o.id, path=f"/tmp/{org}.png")
    session.add_all([account, voice, campaign, post, media])
    session.flush()
    credential = m.Credential(account_id=account.id, key_id="k")
    variant = m.Variant(post_id=post.id, account_id=account.id, text=f"hi {org}")
    slot = m.Slot(account_id=account.id, weekday=1, time="09:00", timezone="UTC")
    recurrence = m.Recurrence(post_id=post.id, frequency="weekly")
    comment = m.PostComment(org_id=o.id, post_id=post.id, author="x", body="looks good")
    # Through the chain, as every audit row is written (prev_hash and hash are NOT NULL).
    append_audit_rows(session, [{"org_id": o.id, "actor": "x", "action": "create",
                                 "record_kind": "Post"}])
    audit = session.scalars(select(m.AuditEvent).where(m.AuditEvent.org_id == o.id)).one()
    usage = m.AIUsage(org_id=o.id, provider="offline", model="rules", task="draft")
    session.add_all([credential, variant, slot, recurrence, comment, usage])
    session.flush()
    delivery = m.Delivery(variant_id=variant.id, account_id=account.id, due_at=now,
                          next_attempt_at=now + timedelta(days=1),
                          idempotency_key=f"{org}-{suffix}")
    session.add(delivery)
    session.flush()
    attempt = m.Attempt(delivery_id=delivery.id, worker="w")
    snapshot = m.MetricSnapshot(delivery_id=delivery.id, likes=1)
    session.add_all([attempt, snapshot])
    session.flush()
    rows: dict[str, object] = {
        "organizations": o, "accounts": account, "credentials": credential,
        "voice_profiles": voice, "campaigns": campaign, "posts": post, "variants": variant,
        "deliveries": delivery, "attempts": attempt, "metric_snapshots": snapshot,
        "slots": slot, "recurrences": recurrence, "media": media,
        "post_comments": comment, "audit_events": audit, "ai_usage": usage}
    return {table: int(row.id) for table, row in rows.items()}  # type: ignore[attr-defined]


def engine_as(tenants: Tenants, name: str) -> Engine:
    """An engine connecting as the kit's login ``name``."""
    return create_engine(url_as(tenants.url, tenants.logins[name]))
