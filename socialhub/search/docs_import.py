"""Import a folder of Markdown, text and HTML files into the docs library.

Incremental: each file's SHA-256 is compared with the stored one, unchanged
files are not parsed again, and documents whose file has gone from the folder
are removed. Binary or undecodable files are skipped with a warning and
counted. Parsing is pure (``parse_document``) so it is tested without files.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from socialhub.errors import ValidationError
from socialhub.search.docs_store import DocInput, DocsStore, ImportState

MARKDOWN = frozenset({".md", ".markdown", ".mdown", ".mkd"})
TEXT = frozenset({".txt", ".text", ".rst"})
HTML = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED = MARKDOWN | TEXT | HTML
_SUFFIXES = tuple(SUPPORTED)

#: Below this many changed files, writes go through the triggers; above, bulk load + rebuild.
BULK_THRESHOLD = 500
#: From this many files on, reading and parsing run in worker processes.
PARALLEL_THRESHOLD = 5000
#: Files per worker round trip, and per insert into the sidecar during a fresh load.
BATCH = 1000

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


# Words PyYAML resolves to booleans or null rather than strings (YAML 1.1).
_YAML_WORDS = frozenset({
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"})
_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*?))?[ ]*")
# A plain scalar that YAML can only read as a string: starts with a letter, and holds
# nothing that means something to YAML (no ":", "#", quotes at the start, brackets, commas).
_PLAIN_WORDS = re.compile(r"[^\W\d_][\w .'/-]*")


def _plain(value: str) -> str | None:
    return value if _PLAIN_WORDS.fullmatch(value) and value not in _YAML_WORDS else None


def simple_front_matter(block: str) -> dict[str, Any] | None:
    """Read a front matter block of ``key: words`` and ``key: [words, words]`` lines.

    Returns exactly what ``yaml.safe_load`` would, or None when the block uses
    anything else (the caller then asks libyaml). Most front matter is this
    simple, and libyaml costs ~100 µs a block; this costs a few.
    """
    if "\r" in block or "\t" in block:
        return None
    data: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line.strip():
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        if key in _YAML_WORDS:
            return None
        if not value:
            data[key] = None
        elif value[0] == "[" and value[-1] == "]":
            inner = value[1:-1].strip()
            items = [_plain(item.strip()) for item in inner.split(",")] if inner else []
            if None in items:
                return None
            data[key] = items
        elif (word := _plain(value)) is not None:
            data[key] = word
        else:
            return None
    return data or None


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    data: Any = simple_front_matter(match.group(1))
    if data is None:
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
            # The earliest heading wins. An underlined heading can only come first if it
            # ends before the first "#" heading, so that search stops there.
            atx = _ATX_HEADING.search(body)
            setext = _SETEXT_HEADING.search(body, 0, atx.start() if atx else len(body))
            best = setext or atx
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
        # What decode("utf-8-sig") does, without its Python-level codec wrapper.
        return (data[3:] if data.startswith(codecs.BOM_UTF8) else data).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _walk(root: str) -> list[str]:
    """Every non-hidden file under ``root``: each folder's files sorted, then its subfolders.

    The order ``os.walk`` gives (documents get ids in this order); like it, symlinked
    folders are not entered and unreadable folders are passed over. ``os.scandir``
    directly, because ``os.walk`` plus a ``Path`` per file was a tenth of the import.
    """
    out: list[str] = []
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")),
                                 key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                out.append(entry.path)
            elif not entry.is_symlink():
                subdirs.append(entry.path)
        stack.extend(reversed(subdirs))
    return out


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def _read(path: str) -> tuple[bytes, os.stat_result]:
    # os.open/os.read: Path.read_bytes() builds a buffered file object per call,
    # which cost several times the system calls themselves.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        want = max(info.st_size + 1, 65536)
        chunk = os.read(fd, want)
        # A regular file's read comes back short only at its end: no second read to
        # learn that (one system call in five). Anything else is read until empty.
        if len(chunk) < want and stat.S_ISREG(info.st_mode):
            return chunk, info
        chunks = [chunk]
        while chunk:
            chunk = os.read(fd, want)
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), info


#: (source, digest, (title, body, tags) or None, size, mtime_ns or None, outcome)
Examined = tuple[str, str | None, tuple[str, str, tuple[str, ...]] | None, int | None,
                 int | None, str]
#: Files whose mtime is this close to "now" may still change within the same clock tick,
#: so their mtime is not trusted on the next import (git's "racy clean" problem).
_RACY_NS = 2_000_000_000


def examine_file(task: tuple[str, str | None]) -> Examined:
    """Read, hash and (if changed) parse one file.

    ``task`` is (path, stored digest or None). The outcome is ``"unchanged"``,
    ``"parsed"``, or a reason the file is skipped. Module level so worker
    processes can run it; plain tuples because they cross a pipe.
    """
    source, old_digest = task
    try:
        data, info = _read(source)
    except OSError as exc:
        return source, None, None, None, None, f"cannot read ({exc.strerror})"
    mtime: int | None = info.st_mtime_ns
    if time.time_ns() - info.st_mtime_ns < _RACY_NS:
        mtime = None
    digest = hashlib.sha256(data).hexdigest()
    if digest == old_digest:
        return source, digest, None, info.st_size, mtime, "unchanged"
    text = decode_document(data)
    if text is None:
        return source, digest, None, None, None, "binary or not UTF-8 text"
    stem, suffix = os.path.splitext(os.path.basename(source))
    doc = parse_document(text, suffix.lower(), stem)
    return source, digest, (doc.title, doc.body, tuple(doc.tags)), info.st_size, mtime, "parsed"


def examine_batch(tasks: list[tuple[str, str | None]]) -> list[Examined]:
    """:func:`examine_file` over a batch: one round trip to a worker per batch."""
    return [examine_file(task) for task in tasks]


def _batches(tasks: list[tuple[str, str | None]], size: int
             ) -> list[list[tuple[str, str | None]]]:
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def _examine_all(tasks: list[tuple[str, str | None]]) -> Iterator[list[Examined]]:
    import threading

    batches = _batches(tasks, BATCH)
    # Parsing is pure Python and holds the GIL, so big imports use worker processes,
    # and this process writes each batch to SQLite while the workers parse the next.
    # SQLite's indexing here is the longest single job, so the workers leave it a core.
    workers = min((os.cpu_count() or 1) - 1, 8)
    # They are forked, which copies no work to redo (spawn would re-run the caller's
    # __main__), and only from a single-threaded process: forking while other threads
    # hold locks can deadlock the child. Otherwise the files are read here, one by one.
    if (len(tasks) < PARALLEL_THRESHOLD or workers < 1 or threading.active_count() > 1
            or sys.platform != "linux"):
        yield from map(examine_batch, batches)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for result in pool.map(examine_batch, batches):
                done += 1
                yield result
    except (BrokenProcessPool, OSError):
        # A worker died (out of memory, killed): finish the rest in this process.
        yield from map(examine_batch, batches[done:])


def import_directory(store: DocsStore, directory: Path, *, progress: ProgressFn | None = None,
                     warn: WarnFn | None = None) -> ImportSummary:
    """Bring the library in line with ``directory`` and report what changed.

    A file whose size and modification time match what the last import saw is
    taken as unchanged without being read; any other file is read and compared
    by content hash.

    Raises:
        ValidationError: ``directory`` is not a folder.
        DatabaseError: the sidecar is corrupted or locked.
    """
    root = directory.expanduser()
    if not root.is_dir():
        raise ValidationError(f"not a folder: {directory}")
    root = root.resolve()
    summary = ImportSummary(directory=str(root))
    known = store.import_state(str(root) + os.sep)
    files = _walk(str(root))
    total = len(files)
    tasks: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for source in files:
        if not source.lower().endswith(_SUFFIXES):
            continue
        old = known.get(source)
        if old is not None and old.mtime_ns is not None and _same_stat(source, old):
            seen.add(source)
            summary.unchanged += 1
            continue
        tasks.append((source, old.content_hash if old else None))
    summary.scanned = len(tasks) + summary.unchanged
    summary.ignored = total - summary.scanned
    counter = [summary.ignored + summary.unchanged]
    restat: list[tuple[int | None, int | None, int]] = []

    def changed_docs() -> Iterator[list[DocInput]]:
        for batch in _examine_all(tasks):
            docs: list[DocInput] = []
            for source, digest, parsed, size, mtime, outcome in batch:
                counter[0] += 1
                if progress is not None:
                    progress(counter[0], total)
                if parsed is not None:
                    seen.add(source)
                    docs.append(DocInput(*parsed, source, digest, size, mtime))
                    if source in known:
                        summary.updated += 1
                    else:
                        summary.added += 1
                elif outcome == "unchanged":
                    seen.add(source)
                    summary.unchanged += 1
                    old = known[source]
                    if mtime is not None and (size, mtime) != (old.size, old.mtime_ns):
                        restat.append((size, mtime, old.id))  # touched, not changed
                else:
                    if outcome.startswith("cannot read"):
                        seen.add(source)  # keep what we had; a passing read error is not a deletion
                    _skip(summary, warn, source, outcome)
            yield docs

    if not known and len(tasks) >= BULK_THRESHOLD and store.load_into_empty(changed_docs()):
        _finish_progress(progress, total, tasks)
        return summary
    upserts = [doc for batch in changed_docs() for doc in batch]
    _finish_progress(progress, total, tasks)
    removals = [state.id for source, state in known.items() if source not in seen]
    summary.removed = len(removals)
    changes = summary.added + summary.updated + len(removals)
    if upserts or removals or restat:
        existing = store.count()  # a rebuild re-indexes the whole library, not just this folder
        bulk = changes >= BULK_THRESHOLD and changes * 2 >= existing
        store.apply_import(upserts, removals, bulk=bulk, restat=restat)
    return summary


def _same_stat(source: str, old: ImportState) -> bool:
    try:
        info = os.stat(source)
    except OSError:
        return False
    return info.st_size == old.size and info.st_mtime_ns == old.mtime_ns


def _finish_progress(progress: ProgressFn | None, total: int, tasks: list[Any]) -> None:
    if progress is not None and not tasks:
        progress(total, total)


def _skip(summary: ImportSummary, warn: WarnFn | None, source: str, why: str) -> None:
    summary.skipped += 1
    summary.skipped_files.append(source)
    if warn is not None:
        warn(f"skipped {source}: {why}")
