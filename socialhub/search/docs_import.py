"""Import a folder of Markdown, text and HTML files into the docs library.

Incremental: each file's SHA-256 is compared with the stored one, unchanged
files are not parsed again, and documents whose file has gone from the folder
are removed. Binary or undecodable files are skipped with a warning and
counted. Parsing is pure (``parse_document``) so it is tested without files.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from socialhub.errors import ValidationError
from socialhub.search.docs_store import DocInput, DocsStore

MARKDOWN = frozenset({".md", ".markdown", ".mdown", ".mkd"})
TEXT = frozenset({".txt", ".text", ".rst"})
HTML = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED = MARKDOWN | TEXT | HTML

#: Below this many changed files, writes go through the triggers; above, bulk load + rebuild.
BULK_THRESHOLD = 500
#: From this many files on, reading and parsing run in worker processes.
PARALLEL_THRESHOLD = 5000

ProgressFn = Callable[[int, int], None]
WarnFn = Callable[[str], None]


@dataclass
class ImportSummary:
    """What an import did; ``skipped`` files were unreadable and left out."""

    directory: str
    scanned: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    ignored: int = 0
    skipped_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dict(self.__dict__)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_ATX_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
_SETEXT_HEADING = re.compile(r"^[ ]{0,3}(\S[^\n]*)\r?\n[ ]{0,3}=+[ \t]*$", re.M)


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    # libyaml's loader is ~10x faster than the pure-Python one; same safe subset.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(match.group(1), Loader=loader)
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return data, text[match.end():]


def _tags_from(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[,\s]+", value) if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return []


class _HTMLText(HTMLParser):
    """Collect visible text, the <title> and the first <h1> of an HTML page."""

    _SKIP = frozenset({"script", "style", "template", "noscript", "head"})
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "section", "article", "header", "footer", "pre", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag not in ("br", "meta", "link", "img", "hr", "input"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "title" in self._stack:
            self.title += data
        elif "h1" in self._stack and not self.h1:
            self.h1 = data.strip()
        if any(t in self._SKIP for t in self._stack):
            return
        self.parts.append(data)


def _collapse(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_document(text: str, suffix: str, fallback_title: str) -> DocInput:
    """Return the title, body and tags of a document's text.

    The title comes from front matter (``title:``), else the first heading
    (Markdown ``#``/underline, HTML ``<title>``/``<h1>``), else the first line
    of a text file, else ``fallback_title`` (the file name).
    """
    meta, rest = _front_matter(text) if suffix not in HTML else ({}, text)
    tags = _tags_from(meta.get("tags") or meta.get("keywords"))
    title = str(meta.get("title") or "").strip()
    if suffix in HTML:
        parser = _HTMLText()
        parser.feed(rest)
        parser.close()
        body = _collapse("".join(parser.parts))
        title = title or _collapse(parser.title) or parser.h1
    else:
        body = rest.strip()
        if not title and suffix in MARKDOWN:
            atx, setext = _ATX_HEADING.search(body), _SETEXT_HEADING.search(body)
            best = min((m for m in (atx, setext) if m), key=lambda m: m.start(), default=None)
            title = best.group(1).strip() if best else ""
        if not title and suffix in TEXT:
            title = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")[:200]
    return DocInput(title=title or fallback_title, body=body, tags=tags)


def decode_document(data: bytes) -> str | None:
    """Return the file's text, or None when it is binary or not UTF-8 / UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders (.git, .obsidian) hold tooling, not documents.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)


def examine_file(task: tuple[str, str | None]) -> tuple[str, str | None, DocInput | None, str]:
    """Read, hash and (if changed) parse one file: ``(source, digest, doc, outcome)``.

    ``task`` is (path, stored digest or None). ``outcome`` is ``"unchanged"``,
    ``"parsed"``, or a reason the file is skipped. Module level so worker
    processes can run it.
    """
    source, old_digest = task
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return source, None, None, f"cannot read ({exc.strerror})"
    digest = hashlib.sha256(data).hexdigest()
    if digest == old_digest:
        return source, digest, None, "unchanged"
    text = decode_document(data)
    if text is None:
        return source, digest, None, "binary or not UTF-8 text"
    doc = parse_document(text, path.suffix.lower(), path.stem)
    return source, digest, DocInput(doc.title, doc.body, doc.tags, source, digest), "parsed"


def _examine_all(tasks: list[tuple[str, str | None]]
                 ) -> Iterator[tuple[str, str | None, DocInput | None, str]]:
    import threading

    workers = min(os.cpu_count() or 1, 8)
    # Parsing is pure Python and holds the GIL, so big imports use worker processes.
    # They are forked, which copies no work to redo (spawn would re-run the caller's
    # __main__), and only from a single-threaded process: forking while other threads
    # hold locks can deadlock the child. Otherwise the files are read here, one by one.
    if (len(tasks) < PARALLEL_THRESHOLD or workers < 2 or threading.active_count() > 1
            or sys.platform != "linux"):
        yield from map(examine_file, tasks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for result in pool.map(examine_file, tasks, chunksize=256):
                done += 1
                yield result
    except (BrokenProcessPool, OSError):
        # A worker died (out of memory, killed): finish the rest in this process.
        yield from map(examine_file, tasks[done:])


def import_directory(store: DocsStore, directory: Path, *, progress: ProgressFn | None = None,
                     warn: WarnFn | None = None) -> ImportSummary:
    """Bring the library in line with ``directory`` and report what changed.

    Raises:
        ValidationError: ``directory`` is not a folder.
        DatabaseError: the sidecar is corrupted or locked.
    """
    root = directory.expanduser()
    if not root.is_dir():
        raise ValidationError(f"not a folder: {directory}")
    root = root.resolve()
    summary = ImportSummary(directory=str(root))
    known = store.sources_with_prefix(str(root) + os.sep)
    files = list(_walk(root))
    total = len(files)
    tasks: list[tuple[str, str | None]] = []
    for path in files:
        if path.suffix.lower() in SUPPORTED:
            old = known.get(str(path))
            tasks.append((str(path), old[1] if old else None))
    summary.ignored = total - len(tasks)
    summary.scanned = len(tasks)
    upserts: list[DocInput] = []
    seen: set[str] = set()
    for index, (source, _, doc, outcome) in enumerate(_examine_all(tasks), summary.ignored + 1):
        if progress is not None:
            progress(index, total)
        if outcome == "unchanged":
            seen.add(source)
            summary.unchanged += 1
        elif doc is not None:
            seen.add(source)
            upserts.append(doc)
            if source in known:
                summary.updated += 1
            else:
                summary.added += 1
        else:
            if outcome.startswith("cannot read"):
                seen.add(source)  # keep what we had; a passing read error is not a deletion
            _skip(summary, warn, source, outcome)
    if progress is not None and not tasks:
        progress(total, total)
    removals = [doc_id for source, (doc_id, _) in known.items() if source not in seen]
    summary.removed = len(removals)
    changes = len(upserts) + len(removals)
    if changes:
        existing = store.count()  # a rebuild re-indexes the whole library, not just this folder
        bulk = changes >= BULK_THRESHOLD and changes * 2 >= existing
        store.apply_import(upserts, removals, bulk=bulk)
    return summary


def _skip(summary: ImportSummary, warn: WarnFn | None, source: str, why: str) -> None:
    summary.skipped += 1
    summary.skipped_files.append(source)
    if warn is not None:
        warn(f"skipped {source}: {why}")
