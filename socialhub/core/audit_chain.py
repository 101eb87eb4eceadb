"""The audit trail's hash chain: how a row is hashed and how a chain is checked.

Pure: standard library only, so the migration that back-fills the chain, the
writer and ``audit verify`` share one definition.

Each organization's audit rows form one chain (rows with no organization form
their own): a row's ``prev_hash`` is the ``hash`` of the row before it in the
same chain, and its ``hash`` is the SHA-256 of the canonical encoding of its
fields *and* ``prev_hash``. The first row of a chain links to the chain's
genesis value, which names the organization, so no two rows anywhere share a
``prev_hash`` (the database enforces that with a unique constraint: a fork is
impossible, not merely detected).

The encoding is canonical JSON — sorted keys, no spaces, ASCII only — with
timestamps written as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, so a row hashes
the same whether it was read from SQLite or PostgreSQL. The row id is not part
of the hash: the order lives in the links, which is what lets ``verify`` tell
a reordered row from an edited one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

#: Bumped if the encoding ever changes; part of every hashed document.
CHAIN_VERSION = 1

#: The fields of a row the hash covers (besides ``prev_hash``).
HASHED_FIELDS = ("org_id", "at", "actor", "channel", "action", "record_kind", "record_id",
                 "record_name", "change")


def genesis_hash(org_id: int | None) -> str:
    """The ``prev_hash`` of the first row in the chain of ``org_id`` (None: org-less rows)."""
    name = "none" if org_id is None else str(int(org_id))
    return hashlib.sha256(f"socialhub-audit-genesis:{name}".encode()).hexdigest()


def format_at(at: datetime) -> str:
    """A timestamp as the chain writes it: UTC, microseconds, ``Z`` (naive means UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_ready(value: Any) -> Any:
    """``value`` as it comes back from a JSON column: tuples as lists, keys as strings,
    other objects (dates, paths) as their ``str``. The writer stores this form, so the
    hash of a row read back equals the hash it was written with."""
    return json.loads(json.dumps(value, default=str))


#: Longer texts are kept in an audit row as their start and a digest (see :func:`clip_texts`).
TEXT_KEPT_CHARS = 1000
TEXT_START_CHARS = 200


def clip_text(value: str) -> str:
    """``value``, or when it is longer than :data:`TEXT_KEPT_CHARS` its first
    :data:`TEXT_START_CHARS` characters, its length and the start of its SHA-256: an
    audit row says a long text changed and which text it was, without keeping a
    second copy of it forever (the trail is append-only)."""
    if len(value) <= TEXT_KEPT_CHARS:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{value[:TEXT_START_CHARS]}… [{len(value):,} chars, sha256:{digest}]"


def canonical(row: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes a row's hash covers: its :data:`HASHED_FIELDS` and ``prev_hash``."""
    doc = {name: row.get(name) for name in HASHED_FIELDS}
    doc["at"] = format_at(row["at"])
    doc["change"] = row.get("change") or {}
    doc["prev_hash"] = prev_hash
    doc["v"] = CHAIN_VERSION
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hex SHA-256 of a row linked to ``prev_hash``."""
    return hashlib.sha256(canonical(row, prev_hash)).hexdigest()


def link(rows: Iterable[dict[str, Any]], head: str) -> str:
    """Chain ``rows`` (in order, one chain) after ``head``: set each row's ``prev_hash``
    and ``hash`` in place; return the new head."""
    for row in rows:
        row["prev_hash"] = head
        row["hash"] = head = row_hash(row, head)
    return head


Problem = Literal["edited", "deleted", "reordered"]


@dataclass(frozen=True)
class Break:
    """The first row where a chain stops holding, and why."""

    row_id: int
    at: datetime
    problem: Problem
    detail: str


@dataclass(frozen=True)
class ChainCheck:
    """The result of checking one chain: rows read, the last hash, the first break if any."""

    org_id: int | None
    rows: int
    head: str
    broken: Break | None


def check_chain(org_id: int | None, rows: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Check one chain's rows, given in id order (each with ``id``, ``prev_hash``, ``hash``
    and the :data:`HASHED_FIELDS`).

    A row whose fields no longer give its hash was *edited* (or forged without
    the chain's rule). A row whose link skips the row before it points past a
    missing row — one was *deleted* — unless it links to another row of the
    chain, in which case rows were *reordered*. Only the first break is named:
    everything after it is suspect anyway.
    """
    expected = genesis_hash(org_id)
    listed = list(rows)
    known = {r["hash"] for r in listed}
    count = 0
    for row in listed:
        count += 1
        at = row["at"]
        if row_hash(row, str(row["prev_hash"])) != row["hash"]:
            return ChainCheck(org_id, count, expected, Break(
                row["id"], at, "edited", "its fields do not match its hash (edited or forged)"))
        if row["prev_hash"] != expected:
            if row["prev_hash"] in known:
                return ChainCheck(org_id, count, expected, Break(
                    row["id"], at, "reordered", "it links to a row other than the one before it"))
            what = ("the first row of the chain is missing" if expected == genesis_hash(org_id)
                    else "the row before it is missing")
            return ChainCheck(org_id, count, expected, Break(
                row["id"], at, "deleted", what))
        expected = row["hash"]
    return ChainCheck(org_id, count, expected, None)
