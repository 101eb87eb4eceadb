"""Recording a send: the publishing hot path's statements on one delivery and its attempts.

``services.publishing.delivery_records`` decides what a send writes (the
status, the lease, the outcome); the statements it runs live here. They are
Core statements on one joined row rather than ORM objects with lazy
relationships (fewer queries, a shorter hold on SQLite's write lock), and they
are built once, when this module is imported: building SQLAlchemy constructs
per call costs more than running them. Each function runs one statement on the
session's connection, inside the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.engine import Row, RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select, Update

from socialhub.db.models import Account, Attempt, Campaign, Delivery, Organization, Post, Variant
from socialhub.db.queries.delivery import is_postgres
from socialhub.db.queries.id_lists import constant, one_of

_D, _A, _P = (cast(Table, m.__table__) for m in (Delivery, Attempt, Post))
_O, _C, _V = (cast(Table, m.__table__) for m in (Organization, Campaign, Variant))
#: What settling an outcome reads: the delivery's own columns, its post's and its
#: account's names — no content, settings or campaign (their JSON was most of a send
#: row's decoding, and a settle needs none of it).
_SETTLE_COLUMNS = (
    _D.c.id, _D.c.status, _D.c.lease_owner, _D.c.attempts, _D.c.thread_progress,
    _D.c.remote_id, _D.c.remote_url, _D.c.last_error, _D.c.last_error_class,
    _D.c.next_attempt_at, _D.c.due_at, _D.c.published_at,
    _P.c.id.label("post_id"), _P.c.name.label("post_name"), _P.c.status.label("post_status"),
    Account.platform, Account.handle)
_TO_POST_AND_ACCOUNT = (_D.join(_V, _V.c.id == _D.c.variant_id)
                        .join(_P, _P.c.id == _V.c.post_id)
                        .join(Account.__table__, Account.id == _D.c.account_id))
_SELECT = (select(
    *_SETTLE_COLUMNS, _D.c.idempotency_key, _P.c.approved_digest,
    _O.c.settings.label("org_settings"), _C.c.approvals.label("campaign_approvals"),
    _P.c.org_id, _D.c.variant_id, _D.c.account_id, _C.c.name.label("campaign_name"),
    _C.c.utm.label("campaign_utm"), _V.c.text, _V.c.thread, _V.c.media,
    _V.c.first_comment, _V.c.options)
    .select_from(_TO_POST_AND_ACCOUNT.join(_O, _O.c.id == _P.c.org_id)
                 .outerjoin(_C, _C.c.id == _P.c.campaign_id)))
_LOAD = _SELECT.where(_D.c.id == bindparam("did"))
_UPDATE_D = _D.update().where(_D.c.id == bindparam("did"))
_INSERT_A = _A.insert().returning(_A.c.id)
_INSERT_A_MANY = _A.insert().returning(_A.c.id, _A.c.delivery_id, sort_by_parameter_order=True)
_UPDATE_A = _A.update().where(_A.c.id == bindparam("aid"))
_POST_PUBLISHING = (_P.update().where(_P.c.id == bindparam("pid"), _P.c.status != "canceled")
                    .values(status="publishing"))
_CONTENT = (select(_V.c.account_id, _V.c.text, _V.c.thread, _V.c.media, _V.c.first_comment,
                   _V.c.options).where(_V.c.post_id == bindparam("pid")))
_POST_STATUS = (_P.update().where(_P.c.id == bindparam("pid"), _P.c.status != "canceled")
                .values(status=bindparam("status")))


class _ByIds(NamedTuple):
    """The statements that take a list of ids, as one dialect binds it (``id_lists``)."""

    load: Select[Any]
    settle: Select[Any]
    posts_publishing: Update
    progress: Select[Any]


@functools.cache
def _by_ids(postgres: bool) -> _ByIds:
    ids, pids = (one_of(_D.c.id, "ids", postgres=postgres),
                 one_of(_P.c.id, "pids", postgres=postgres))
    return _ByIds(
        load=_SELECT.where(ids),
        settle=select(*_SETTLE_COLUMNS).select_from(_TO_POST_AND_ACCOUNT).where(ids),
        posts_publishing=(_P.update()
                          .where(pids, _P.c.status != constant("canceled", postgres=postgres))
                          .values(status="publishing")),
        progress=select(_D.c.id, _D.c.thread_progress, _D.c.lease_owner).where(ids))


def _statements(session: Session) -> _ByIds:
    return _by_ids(is_postgres(session))


def send_row(session: Session, delivery_id: int) -> RowMapping | None:
    """The delivery ``delivery_id`` as one row, or None: its own columns (status, lease
    owner, attempts, thread progress, idempotency key, remote id and URL, last error and
    its class, next attempt, due and published times), its post's ``post_id``,
    ``post_name``, ``post_status`` and ``approved_digest``, its organization's
    ``org_settings`` and ``org_id``, its campaign's ``campaign_approvals``,
    ``campaign_name`` and ``campaign_utm``, its ``variant_id`` and ``account_id``, its account's
    ``platform`` and ``handle``, and its target's ``text``, ``thread``, ``media``,
    ``first_comment`` and ``options``."""
    return session.connection().execute(_LOAD, {"did": delivery_id}).mappings().one_or_none()


def post_content(session: Session, post_id: int) -> list[RowMapping]:
    """What the post ``post_id`` publishes: each target's ``account_id``, ``text``,
    ``thread``, ``media``, ``first_comment`` and ``options`` (for its content digest)."""
    return list(session.connection().execute(_CONTENT, {"pid": post_id}).mappings())


def set_posts_status(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store each post's derived status (rows of ``pid`` and ``status``; one UPDATE per
    row, sent together; a canceled post stays canceled)."""
    session.connection().execute(_POST_STATUS, list(rows))


def send_rows(session: Session, ids: Collection[int]) -> list[RowMapping]:
    """``send_row`` of each of the deliveries ``ids`` that exists (in no set order)."""
    return list(session.connection().execute(_statements(session).load,
                                             {"ids": list(ids)}).mappings())


def settle_rows(session: Session, ids: Collection[int]) -> list[RowMapping]:
    """What settling an outcome needs of each of the deliveries ``ids`` that exists (in no
    set order): its own columns as ``send_row`` gives them (not the idempotency key), its
    post's ``post_id``, ``post_name`` and ``post_status``, and its account's ``platform``
    and ``handle``."""
    return list(session.connection().execute(_statements(session).settle,
                                             {"ids": list(ids)}).mappings())


def update_delivery(session: Session, delivery_id: int, values: dict[str, Any]) -> None:
    """Set the columns named in ``values`` on the delivery ``delivery_id``."""
    session.connection().execute(_UPDATE_D, {"did": delivery_id, **values})


def update_deliveries(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """One UPDATE per row: each row names its delivery as ``did`` and the columns to set;
    the rows that set the same columns are sent together."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        session.connection().execute(_UPDATE_D, group)


def insert_attempt(session: Session, values: dict[str, Any]) -> int:
    """Insert one attempt with these columns; its id."""
    return int(session.connection().execute(_INSERT_A, values).scalar_one())


def insert_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Insert these attempts (one statement); each one's id by its ``delivery_id``."""
    return {row.delivery_id: row.id
            for row in session.connection().execute(_INSERT_A_MANY, list(rows))}


def update_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One UPDATE per row, sent together: each row names its attempt as ``aid`` and sets
    the same columns as the others."""
    session.connection().execute(_UPDATE_A, list(rows))


def mark_post_publishing(session: Session, post_id: int) -> None:
    """Set the post's status to ``publishing`` unless it is canceled."""
    session.connection().execute(_POST_PUBLISHING, {"pid": post_id})


def mark_posts_publishing(session: Session, post_ids: Iterable[int]) -> None:
    """Set each of these posts' status to ``publishing`` unless it is canceled (one
    statement)."""
    session.connection().execute(_statements(session).posts_publishing,
                                 {"pids": list(post_ids)})


def thread_progress_of(session: Session, ids: Collection[int]
                       ) -> dict[int, Row[Any, Any, Any]]:
    """The row ``(id, thread_progress, lease_owner)`` of each of the deliveries ``ids`` that
    exists, by id."""
    return {row.id: row for row in session.connection().execute(_statements(session).progress,
                                                                {"ids": list(ids)})}


def count_attempts_since_last(session: Session, delivery_id: int, *,
                              outcomes: Collection[str], reset_by: str) -> int:
    """How many of the delivery's attempts ended with one of ``outcomes`` after (by id)
    its last attempt whose outcome is ``reset_by``; all of them if it has none."""
    reset = session.scalar(select(func.max(Attempt.id)).where(
        Attempt.delivery_id == delivery_id, Attempt.outcome == reset_by)) or 0
    return int(session.scalar(select(func.count(Attempt.id)).where(
        Attempt.delivery_id == delivery_id, Attempt.id > reset,
        Attempt.outcome.in_(list(outcomes)))) or 0)
