"""``analytics import``: past posts with their metrics, so best times work from day one.

Every row is checked before anything is written, and everything is written in the
caller's one transaction: one bad row and nothing is imported. A row already
imported (same account and URL, or same account, instant and text) changes nothing
when its numbers are the same, and records a new snapshot when they moved, so
re-importing a file changes nothing and re-importing a newer export updates it.
Each new post's language is detected (``ai.language``).
Imported posts are published deliveries like any other: best times, top and the
rollups count them; the daemon never fetches metrics for them (they have no remote id).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialhub.ai.language import detect_language
from socialhub.core.policy import Permission
from socialhub.db.queries import analytics_import as queries
from socialhub.errors import SocialhubError, ValidationError
from socialhub.services.accounts.accounts import list_accounts, parse_account_ref
from socialhub.services.analytics.captures import record_capture
from socialhub.services.analytics.history_file import (
    IMPORTED_METRICS,
    HistoryRow,
    parse_row,
    read_rows,
)
from socialhub.services.audit import record_event
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case
from socialhub.services.gc_pause import gc_paused

#: Files above this size are refused before reading (about 1.5 million rows).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: How many row errors a refused import lists at most.
MAX_ERRORS = 50
#: From this many new posts on, their languages are detected in a second process
#: (forked, when this one has no other thread and a second CPU) while this one inserts.
PARALLEL_FROM = 5000
#: New posts are detected and inserted in chunks of this many.
CHUNK = 2500


class HistoryImportError(ValidationError):
    """The file has bad rows; nothing was imported. ``errors`` lists each
    ``file:line: what is wrong`` (the message is the first of them)."""

    def __init__(self, errors: list[str]) -> None:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(errors[0] + more, hint="nothing was imported")
        self.errors = errors[:MAX_ERRORS]


@dataclass
class ImportSummary:
    """What an import did: ``rows`` read, ``imported`` new posts, ``updated`` posts with
    moved numbers (a new snapshot), ``unchanged`` posts already there."""

    file: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    accounts: list[str] = field(default_factory=list)


@use_case(Permission.ANALYTICS_IMPORT)
def import_history(ctx: Ctx, path: Path, *, account: str | None = None,
                   zone: str | None = None) -> ImportSummary:
    """Import the posts and metrics of a history file (the generic CSV or JSON, or a
    network's own export: see ``history_file`` and ``export_formats``) into the
    organization of ``ctx``. ``account`` (``platform:@handle``) is the account of rows
    that do not name one; ``zone`` the zone of export times without an offset
    (default: the display zone).

    Raises:
        ValidationError: the file cannot be read or is too big.
        HistoryImportError: some rows are bad (each named by ``file:line``).
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValidationError(f"{path}: {size} bytes is more than {MAX_FILE_BYTES}",
                                  hint="split the file")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from None
    return import_history_text(ctx, path, text, account=account, zone=zone)


@use_case(Permission.ANALYTICS_IMPORT)
def import_history_text(ctx: Ctx, path: Path, text: str, *, account: str | None = None,
                        zone: str | None = None) -> ImportSummary:
    """Import a history file's ``text`` as :func:`import_history` does; ``path`` only
    names it (its suffix, ``.csv`` or ``.json``, says how to read it; nothing is read
    from it), so the API can import what a request carries.

    Raises:
        ValidationError: the text is too big.
        HistoryImportError: some rows are bad (each named by ``file:line``).
    """
    if len(text.encode()) > MAX_FILE_BYTES:
        raise ValidationError(f"{path}: more than {MAX_FILE_BYTES} bytes",
                              hint="split the file")
    with gc_paused():  # an import makes a few objects per row and no cycles
        return _import_text(ctx, path, text, account=account, zone=zone)


def _import_text(ctx: Ctx, path: Path, text: str, *, account: str | None,
                 zone: str | None) -> ImportSummary:
    raw, errors = read_rows(path, text.removeprefix("\ufeff"), account=account,
                            zone=zone or display_zone(ctx.settings))
    accounts = {a.ref: a.id for a in list_accounts(ctx.session, ctx.org_id)}
    parsed: list[tuple[HistoryRow, int]] = []
    first_seen: dict[str, str] = {}
    resolved: dict[str, int] = {}  # each account ref of the file, resolved once
    for where, row in raw:
        found, problems = parse_row(where, row)
        if found is not None:
            account_id = resolved.get(found.account)
            if account_id is None:
                account_id = _account_id(found, accounts, problems)
                if account_id is not None:
                    resolved[found.account] = account_id
            if account_id is not None:
                if found.key in first_seen:
                    problems.append(f"{where}: the same post as {first_seen[found.key]}")
                else:
                    first_seen[found.key] = where
                    parsed.append((found, account_id))
        errors += problems
    if errors:
        raise HistoryImportError(errors)
    if not parsed:
        raise ValidationError(f"{path}: no rows to import")
    return _write(ctx, path, parsed)


def _account_id(row: HistoryRow, accounts: dict[str, int], problems: list[str]) -> int | None:
    try:
        platform, handle = parse_account_ref(row.account)
    except SocialhubError as exc:
        problems.append(f"{row.where}: {exc.message}")
        return None
    ref = f"{platform}:@{handle}"
    if ref not in accounts:
        problems.append(f"{row.where}: unknown account {ref} (add it with "
                        "`socialhub accounts add`)")
        return None
    return accounts[ref]


def _write(ctx: Ctx, path: Path, parsed: list[tuple[HistoryRow, int]]) -> ImportSummary:
    now = ctx.now()
    summary = ImportSummary(file=str(path), rows=len(parsed))
    existing = queries.existing_imports(ctx.session, [r.key for r, _ in parsed],
                                        IMPORTED_METRICS)
    new: list[dict[str, Any]] = []
    for row, account_id in parsed:
        known = existing.get(row.key)
        if known is None:
            new.append({"key": row.key, "name": f"import-{row.key[:16]}",
                        "account_id": account_id, "text": row.text,
                        "language": None, "url": row.url,
                        "published_at": row.published_at, "metrics": row.metrics})
        elif known[1] == row.metrics:
            summary.unchanged += 1
        else:
            record_capture(ctx.session, known[0], now, dict(row.metrics),
                           {"source": "import"}, source="import")
            summary.updated += 1
    # In the order they were published: the new ids then follow time, and the indexes
    # on times (deliveries: due, published) grow at their end (a third less insert time).
    new.sort(key=lambda r: r["published_at"])
    for chunk in _with_languages(new):
        summary.imported += queries.insert_imported(ctx.session, ctx.org_id, chunk, now)
    summary.accounts = sorted({row.account for row, _ in parsed})
    if summary.imported or summary.updated:
        record_event(ctx.session, ctx.org_id, "import", "AnalyticsHistory", name=path.name,
                     change={"rows": summary.rows, "imported": summary.imported,
                             "updated": summary.updated})
    return summary


def _with_languages(rows: list[dict[str, Any]], *, parallel: bool | None = None
                    ) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in chunks of :data:`CHUNK`, each row's ``language`` detected.

    Detection (~20 µs a text) is a third of importing a new post. With ``parallel``
    (default: from :data:`PARALLEL_FROM` rows on, when :func:`_can_fork`) the first
    chunk is detected here (loading the model before the fork, so the second process
    shares it) and the others in a forked process, while this one inserts the chunks
    before them: on two CPUs the detection costs no wall time. The answers are the
    same either way (``detect_language`` in both)."""
    chunks = [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]
    if not chunks:
        return
    _detect_into(chunks[0])
    if parallel is None:
        parallel = len(rows) >= PARALLEL_FROM and _can_fork()
    if not parallel or len(chunks) == 1:
        yield chunks[0]
        for chunk in chunks[1:]:
            _detect_into(chunk)
            yield chunk
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [pool.submit(_detect_all, [r["text"] for r in c]) for c in chunks[1:]]
        yield chunks[0]
        for chunk, future in zip(chunks[1:], futures, strict=True):
            for row, language in zip(chunk, future.result(), strict=True):
                row["language"] = language
            yield chunk
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _detect_into(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["language"] = detect_language(row["text"])


def _detect_all(texts: list[str]) -> list[str | None]:
    """The language of each of ``texts`` (run in the second process)."""
    return [detect_language(text) for text in texts]


def _can_fork() -> bool:
    """True where a second process is cheap and safe: Linux (``fork``: no start-up, the
    model shared), no other thread in this one (the API server's workers: a fork copies
    the locks other threads hold), and more than one CPU to run it on."""
    return (sys.platform == "linux" and threading.active_count() == 1
            and len(os.sched_getaffinity(0)) > 1)
