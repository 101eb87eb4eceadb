"""Reading a history file for ``analytics import``: the generic CSV and the same rows as JSON.

The CSV's header is exactly ``account,published_at,text,url,impressions,likes,replies,
reposts,quotes,clicks,saves``; the JSON is a list of objects with those keys (or
``{"rows": [...]}``). ``account`` is a ``platform:@handle`` ref, ``published_at`` ISO
8601 with an offset, ``url`` may be empty, and an empty metric cell (or null) means
the network did not give it (absent), never 0. Every problem is reported as
``file:line: what is wrong`` (for JSON, ``file:#N`` names the Nth row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socialhub.services.analytics import export_formats

COLUMNS: tuple[str, ...] = ("account", "published_at", "text", "url", "impressions", "likes",
                            "replies", "reposts", "quotes", "clicks", "saves")
IMPORTED_METRICS: tuple[str, ...] = COLUMNS[4:]
MAX_TEXT = 100_000
MAX_COUNT = 10**15


@dataclass(slots=True)
class HistoryRow:
    """One valid row: where it came from, and what it says. (Not frozen: a frozen
    dataclass sets each field through ``object.__setattr__``, which was 40 % of
    checking a row.)"""

    where: str
    account: str
    published_at: datetime
    text: str
    url: str | None
    metrics: dict[str, int | None]
    #: What makes two rows the same post (``post_key``).
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = post_key(self.account, self.published_at, self.text, self.url)


def post_key(account: str, published_at: datetime, text: str, url: str | None) -> str:
    """What makes two rows the same post: account and URL, else account, instant and
    text (a SHA-256 in hex)."""
    basis = (f"{account}\n{url}" if url else
             f"{account}\n{published_at.isoformat()}\n{text}")
    return hashlib.sha256(basis.encode()).hexdigest()


def read_rows(path: Path, text: str, *, account: str | None = None,
              zone: str | None = None) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The raw rows of a history file's ``text`` as ``(where, row)``, and any errors
    about its shape (an empty list when it reads).

    A CSV whose header is not the generic one is read as the network export it
    matches (``export_formats``); ``account`` names the account of rows that do not
    (required when the export never does), ``zone`` is the zone of export times
    without an offset."""
    if path.suffix.lower() == ".json":
        found, problems = _json_rows(path, text)
        return _with_account(found, account), problems
    if path.suffix.lower() != ".csv":
        return [], [f"{path}: not a .csv or .json file"]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [f"{path}:1: the file is empty (header: {','.join(COLUMNS)})"]
    except csv.Error as exc:
        return [], [f"{path}:1: {exc}"]
    if [h.strip() for h in header] != list(COLUMNS):
        fmt = export_formats.detect(header)
        if fmt is None:
            return [], [f"{path}:1: the header must be exactly {','.join(COLUMNS)}, or "
                        f"that of an export socialhub reads ({export_formats.names()})"]
        return _export_rows(path, reader, fmt, header, account, zone)
    rows: list[tuple[str, dict[str, Any]]] = []
    errors: list[str] = []
    name, width = str(path), len(COLUMNS)
    try:
        for cells in reader:
            if not (cells and (cells[0].strip() or any(c.strip() for c in cells))):
                continue
            where = f"{name}:{reader.line_num}"
            if len(cells) != width:
                errors.append(f"{where}: {len(cells)} cells, the header has {width}")
                continue
            rows.append((where, dict(zip(COLUMNS, cells, strict=True))))
    except csv.Error as exc:
        errors.append(f"{path}:{reader.line_num}: {exc}")
    return _with_account(rows, account), errors


def _with_account(rows: list[tuple[str, dict[str, Any]]], account: str | None
                  ) -> list[tuple[str, dict[str, Any]]]:
    """Rows whose account cell is empty take ``account`` (``--account``)."""
    if account:
        for _, row in rows:
            if not str(row.get("account") or "").strip():
                row["account"] = account
    return rows


def _export_rows(path: Path, reader: Any, fmt: export_formats.ExportFormat,
                 header: list[str], account: str | None, zone: str | None
                 ) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    lines: list[tuple[int, list[str]]] = []
    errors: list[str] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                lines.append((reader.line_num, cells))
    except csv.Error as exc:
        errors.append(f"{path}:{reader.line_num}: {exc}")
    rows, problems = export_formats.translate(path, fmt, header, lines, account=account,
                                              zone=zone)
    return rows, errors + problems


def _json_rows(path: Path, text: str) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"{path}:{exc.lineno}: not JSON: {exc.msg}"]
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        return [], [f"{path}: expected a list of rows (or {{\"rows\": [...]}})"]
    rows, errors = [], []
    for n, item in enumerate(data, 1):
        where = f"{path}:#{n}"
        if not isinstance(item, dict):
            errors.append(f"{where}: a row must be an object with keys {', '.join(COLUMNS)}")
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
            continue
        rows.append((where, item))
    return rows, errors


def parse_row(where: str, row: dict[str, Any]) -> tuple[HistoryRow | None, list[str]]:
    """Check one raw row; returns it parsed, or None and ``where: what is wrong`` lines."""
    errors: list[str] = []
    account = str(row.get("account") or "").strip()
    if not account:
        errors.append(f"{where}: account is empty (a platform:@handle ref)")
    published_at = None
    stamp = str(row.get("published_at") or "").strip()
    try:
        published_at = datetime.fromisoformat(stamp)
    except ValueError:
        errors.append(f"{where}: published_at {stamp!r} is not ISO 8601 "
                      "(e.g. 2026-11-02T09:30:00+01:00)")
    if published_at is not None and published_at.tzinfo is None:
        errors.append(f"{where}: published_at {stamp!r} has no offset (add +00:00 or Z)")
        published_at = None
    text = row_text(row)
    if len(text) > MAX_TEXT:
        errors.append(f"{where}: text is longer than {MAX_TEXT} characters")
    url = str(row.get("url") or "").strip() or None
    if url is not None and not url.startswith(("https://", "http://")):
        errors.append(f"{where}: url {url!r} is not an http(s) URL")
    if url is None and not text.strip():
        errors.append(f"{where}: a row needs a url or a text")
    metrics: dict[str, int | None] = {}
    for name in IMPORTED_METRICS:
        cell = row.get(name)
        if type(cell) is str and 0 < len(cell) < 16 and cell.isdigit() and cell.isascii():
            metrics[name] = int(cell)  # the usual cell, below MAX_COUNT: no more checks
            continue
        value, problem = _count(cell)
        if problem:
            errors.append(f"{where}: {name} {problem}")
        metrics[name] = value
    if errors or published_at is None:
        return None, errors
    return HistoryRow(where=where, account=account, published_at=published_at.astimezone(UTC),
                      text=text, url=url, metrics=metrics), []


def row_text(row: dict[str, Any]) -> str:
    """A raw row's text, as :func:`parse_row` reads it (empty when absent)."""
    text = row.get("text")
    return "" if text is None else str(text)


def _count(value: Any) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a count"
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not (text.isdigit() and text.isascii()):
            return None, f"{text!r} is not a whole number ≥ 0 (leave it empty if absent)"
        number = int(text)
    if not 0 <= number <= MAX_COUNT:
        return None, f"{number} is out of range"
    return number, None
