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

import logging
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
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
    row_text,
)
from socialhub.services.audit import record_event
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case
from socialhub.services.gc_pause import gc_paused

#: Files above this size are refused before reading (about 1.5 million rows).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: How many row errors a refused import lists at most.
MAX_ERRORS = 50
#: From this many rows on, every row's language is detected in a second process (forked,
#: when this one has no other thread and a second CPU) while this one checks and inserts.
PARALLEL_FROM = 5000

log = logging.getLogger(__name__)


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
    # A big file: a second process detects every row's language now, while this one
    # checks the rows, looks them up and starts inserting the new ones.
    languages = (_LanguageProcess([row_text(row) for _, row in raw])
                 if len(raw) >= PARALLEL_FROM and _can_fork() else None)
    try:
        parsed = _checked(ctx, raw, errors)
        if not parsed:
            raise ValidationError(f"{path}: no rows to import")
        return _write(ctx, path, parsed, languages)
    finally:
        if languages is not None:
            languages.close()


def _checked(ctx: Ctx, raw: list[tuple[str, dict[str, Any]]], errors: list[str]
             ) -> list[tuple[HistoryRow, int, int]]:
    """Each raw row parsed, with its account's id and its place in ``raw``; raises with
    every problem found."""
    accounts = {a.ref: a.id for a in list_accounts(ctx.session, ctx.org_id)}
    parsed: list[tuple[HistoryRow, int, int]] = []
    first_seen: dict[str, str] = {}
    resolved: dict[str, int] = {}  # each account ref of the file, resolved once
    for place, (where, row) in enumerate(raw):
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
                    parsed.append((found, account_id, place))
        errors += problems
    if errors:
        raise HistoryImportError(errors)
    return parsed


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


def _write(ctx: Ctx, path: Path, parsed: list[tuple[HistoryRow, int, int]],
           languages: _LanguageProcess | None) -> ImportSummary:
    now = ctx.now()
    summary = ImportSummary(file=str(path), rows=len(parsed))
    existing = queries.existing_imports(ctx.session, [r.key for r, _, _ in parsed],
                                        IMPORTED_METRICS)
    new: list[dict[str, Any]] = []
    for row, account_id, place in parsed:
        known = existing.get(row.key)
        if known is None:
            new.append({"key": row.key, "name": f"import-{row.key[:16]}",
                        "account_id": account_id, "text": row.text,
                        "language": None, "url": row.url, "place": place,
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
    if languages is None or not new:
        for post in new:
            post["language"] = detect_language(post["text"])
        summary.imported = queries.insert_imported(ctx.session, ctx.org_id, new, now)
    else:  # detected in the second process since the file was read
        def detected() -> list[str | None]:
            every = languages.languages()
            return [every[post["place"]] for post in new]

        summary.imported = queries.insert_imported(ctx.session, ctx.org_id, new, now,
                                                   languages=detected)
    summary.accounts = sorted({row.account for row, _, _ in parsed})
    if summary.imported or summary.updated:
        record_event(ctx.session, ctx.org_id, "import", "AnalyticsHistory", name=path.name,
                     change={"rows": summary.rows, "imported": summary.imported,
                             "updated": summary.updated})
    return summary


class _LanguageProcess:
    """A forked process that detects the language of each of ``texts`` (every row of
    the file, ``detect_language``: the same answers as in this process) from the moment
    it starts, while this one checks the rows, looks them up and inserts the new ones:
    on two CPUs an import's detection (the model's loading, ~25 µs a text) costs no
    wall time. Only where :func:`_can_fork`; the texts reach it through the fork,
    uncopied."""

    def __init__(self, texts: list[str]) -> None:
        context = multiprocessing.get_context("fork")
        self._answers, answer_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_detect_into, args=(texts, answer_end),
                                        daemon=True)
        self._process.start()
        answer_end.close()
        self._texts = texts

    def languages(self) -> list[str | None]:
        """The language of each text, in order, once the second process has them (in
        this process instead if the second one failed)."""
        try:
            found: list[str | None] = self._answers.recv()
            return found
        except (EOFError, OSError):
            log.warning("the language process ended early; detecting here instead")
            return [detect_language(text) for text in self._texts]

    def close(self) -> None:
        """Stop the second process (at once if its answers were not needed)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._answers.close()


def _detect_into(texts: list[str], answers: Connection) -> None:
    """The language of each of ``texts``, sent on ``answers`` (run in the second
    process)."""
    answers.send([detect_language(text) for text in texts])
    answers.close()


def _can_fork() -> bool:
    """True where a second process is cheap and safe: Linux (``fork``: no start-up, the
    model shared), no other thread in this one (the API server's workers: a fork copies
    the locks other threads hold), and more than one CPU to run it on."""
    return (sys.platform == "linux" and threading.active_count() == 1
            and len(os.sched_getaffinity(0)) > 1)
