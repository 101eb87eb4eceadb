"""Docs import fast paths: front matter without YAML, stat-based skips, the fresh bulk load."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.search import docs_import
from socialhub.search.docs_import import import_directory, parse_document, simple_front_matter
from socialhub.search.docs_store import DOCS_SCHEMA, DocInput, DocsStore
from socialhub.search.sidecar import Schema, connect

PAST = 1_600_000_000  # an mtime well outside the "may still change this tick" window

_PIECES = st.sampled_from([
    "title", "tags", "keywords", "yes", "Null", "x-y", "_k", "a", "Brand voice", "it's",
    "on", "OFF", "~", "1990", "3.5", "t0", "café", "a/b", "x - y", "#c", ":", ": ", ",",
    "[", "]", "[a, b]", "[]", "[a, ]", "'q'", '"q"', "-", " ", "  ", "\t", "\n", "&x", "*x",
    "!t", "%", "@", "`", "|", ">", "?", "{a: b}", "2024-01-01", "0x1F", ".inf", "..."])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_simple_front_matter_reads_exactly_what_yaml_reads(block: str) -> None:
    fast = simple_front_matter(block)
    if fast is not None:
        assert fast == yaml.safe_load(block)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["title", "tags", "keywords", "author", "yes"]),
                          _PIECES, st.booleans()), min_size=1, max_size=5))
def test_simple_front_matter_agrees_with_yaml_on_key_value_lines(
        lines: list[tuple[str, str, bool]]) -> None:
    block = "\n".join(f"{k}: [{v}, {v}]" if as_list else f"{k}: {v}" for k, v, as_list in lines)
    fast = simple_front_matter(block)
    if fast is not None:
        assert fast == yaml.safe_load(block)


def test_common_front_matter_needs_no_yaml() -> None:
    block = "title: Voice and tone\ntags: [brand, writing]\nauthor:"
    assert simple_front_matter(block) == {"title": "Voice and tone",
                                          "tags": ["brand", "writing"], "author": None}
    assert simple_front_matter("title: yes") is None  # a boolean to YAML: asks libyaml
    assert parse_document("---\ntitle: 2024\n---\nbody", ".md", "f").title == "2024"


def test_the_earliest_heading_is_the_title_whatever_its_style() -> None:
    assert parse_document("Underlined\n===\n\n# Hash", ".md", "f").title == "Underlined"
    assert parse_document("# Hash\n\nUnderlined\n===", ".md", "f").title == "Hash"
    assert parse_document("# Both\n===", ".md", "f").title == "Both"
    assert parse_document("text\n\nLate\n=====\n", ".md", "f").title == "Late"


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = docs_import._read

    def counting(path: str) -> tuple[bytes, os.stat_result]:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(docs_import, "_read", counting)
    return reads


def _write(path: Path, text: str, mtime: int = PAST) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_reimport_trusts_an_unchanged_size_and_mtime(store: DocsStore, tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    _write(root / "a.md", "# Alpha\nfirst")
    import_directory(store, root)
    # Same size and mtime: not even read, so this (sneaky) edit is not seen...
    _write(root / "a.md", "# Alpha\nfirsT")
    assert import_directory(store, root).unchanged == 1
    # ...but any change of mtime makes the import read and compare the content.
    _write(root / "a.md", "# Alpha\nfirsT", PAST + 1)
    assert import_directory(store, root).updated == 1
    assert store.search("first").results[0].title == "Alpha"


def test_touched_file_with_the_same_content_stays_unchanged_and_is_skipped_next_time(
        store: DocsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    _write(root / "a.md", "# Alpha\nfirst")
    import_directory(store, root)
    os.utime(root / "a.md", (PAST + 5, PAST + 5))
    reads = _count_reads(monkeypatch)
    assert (import_directory(store, root).unchanged, len(reads)) == (1, 1)
    assert (import_directory(store, root).unchanged, len(reads)) == (1, 1)  # not read again


def test_a_file_written_just_now_is_read_again_next_time(
        store: DocsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "a.md").write_text("# Alpha\nfirst", encoding="utf-8")  # mtime: now
    import_directory(store, root)
    reads = _count_reads(monkeypatch)
    assert import_directory(store, root).unchanged == 1
    assert len(reads) == 1  # an mtime this fresh might hide a same-tick edit


def _corpus(root: Path, n: int) -> None:
    root.mkdir()
    for i in range(n):
        _write(root / f"{i:03d}.md", f"# Note {i}\nshared word{i % 7} text {'tag' * (i % 3)}")


def test_first_bulk_import_leaves_a_wal_sidecar_with_working_triggers(
        store: DocsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_import, "BULK_THRESHOLD", 10)
    monkeypatch.setattr(docs_import, "BATCH", 7)  # several batches, indexed one by one
    _corpus(tmp_path / "many", 40)
    assert import_directory(store, tmp_path / "many").added == 40
    conn = store.pool.get()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    store.integrity_check()
    assert len(store.search("word3", limit=50).results) == 6
    store.remove(store.search("word3").results[0].id)
    store.add(DocInput("after", "word3 again"))
    assert len(store.search("word3", limit=50).results) == 6
    store.integrity_check()


def test_bulk_reimport_of_a_changed_library_rebuilds_a_consistent_index(
        store: DocsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_import, "BULK_THRESHOLD", 10)
    root = tmp_path / "many"
    _corpus(root, 30)
    import_directory(store, root)
    for i in range(20):
        _write(root / f"{i:03d}.md", f"# Renamed {i}\nfresh words", PAST + 10)
    for i in range(20, 25):
        (root / f"{i:03d}.md").unlink()
    summary = import_directory(store, root)
    assert (summary.updated, summary.removed, summary.unchanged) == (20, 5, 5)
    store.integrity_check()
    assert len(store.search("fresh", limit=50).results) == 20
    assert store.count() == 25


def test_a_failed_first_load_leaves_an_empty_usable_library(store: DocsStore) -> None:
    def batches() -> Iterator[list[DocInput]]:
        yield [DocInput(f"doc {i}", "body words", (), f"/x/{i}.md") for i in range(50)]
        raise RuntimeError("disk full, say")

    with pytest.raises(RuntimeError):
        store.load_into_empty(batches())
    assert store.count() == 0
    conn = store.pool.get()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.add(DocInput("later", "body words"))  # the triggers were restored by the rollback
    assert [h.title for h in store.search("words").results] == ["later"]
    store.integrity_check()


def test_first_load_with_a_reader_attached_stays_in_wal_and_is_correct(
        store: DocsStore, tmp_path: Path) -> None:
    assert store.count() == 0  # creates the file
    reader = sqlite3.connect(tmp_path / "docs.sqlite")
    reader.execute("SELECT count(*) FROM docs").fetchone()
    try:
        docs = [DocInput(f"doc {i}", f"word{i % 3}", (), f"/x/{i}.md") for i in range(30)]
        assert store.load_into_empty([docs[:10], docs[10:]])
        assert reader.execute("SELECT count(*) FROM docs").fetchone()[0] == 30
    finally:
        reader.close()
    assert store.load_into_empty([docs]) is False  # not empty any more: refused, nothing read
    assert len(store.search("word1", limit=50).results) == 10
    store.integrity_check()


def test_a_version_1_sidecar_is_upgraded_and_keeps_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    v1 = Schema(DOCS_SCHEMA.name, DOCS_SCHEMA.application_id, DOCS_SCHEMA.steps[:1])
    conn = connect(path, v1)
    conn.execute("INSERT INTO docs (title, body, source, content_hash, created_at, updated_at)"
                 " VALUES ('Old', 'kept body', '/n/a.md', 'x', '2026', '2026')")
    conn.close()
    store = DocsStore(path)
    try:
        assert store.search("kept").results[0].title == "Old"
        assert store.import_state("/n/")["/n/a.md"].mtime_ns is None
    finally:
        store.close()


def test_the_first_load_builds_the_same_library_and_index_as_one_rebuild(
        tmp_path: Path) -> None:
    """The first load indexes row by row as it inserts; the result is what a rebuild gives."""
    docs = [DocInput(f"doc {i}", f"word{i % 7} body {i} shared", ("t",) if i % 5 == 0 else (),
                     f"/x/{i:03d}.md", f"h{i}", i, PAST) for i in range(120)]
    loaded, rebuilt = DocsStore(tmp_path / "a.sqlite"), DocsStore(tmp_path / "b.sqlite")
    try:
        assert loaded.load_into_empty([docs[:50], docs[50:100], docs[100:]])
        rebuilt.apply_import(docs, [], bulk=True)
        columns = "id, title, body, tags, source, content_hash, file_size, file_mtime_ns"
        for store in (loaded, rebuilt):
            store.integrity_check()
        rows = [s.pool.get().execute(f"SELECT {columns} FROM docs ORDER BY id").fetchall()
                for s in (loaded, rebuilt)]
        assert rows[0] == rows[1] and [r[0] for r in rows[0]] == list(range(1, 121))
        for query in ("word3", "shared", "t", "body 17"):
            pages = [s.search(query, limit=200) for s in (loaded, rebuilt)]
            assert pages[0].results == pages[1].results and pages[0].results
        loaded.add(DocInput("after", "word3 later"))  # the triggers are back
        assert loaded.search("later").results[0].id == 121
    finally:
        loaded.close()
        rebuilt.close()


def test_files_are_read_whole_and_decoded_as_before(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"\xef\xbb\xbf" + "é".encode() * 70_000)  # past the first read's 64 KiB
    data, info = docs_import._read(str(big))
    assert len(data) == info.st_size == 140_003
    assert docs_import.decode_document(data) == "é" * 70_000  # the BOM dropped
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    assert docs_import._read(str(empty))[0] == b""
    assert docs_import.decode_document(b"\xef\xbb") is None  # a cut BOM is not UTF-8
    assert docs_import.decode_document(b"plain \xef\xbb\xbf") == "plain \ufeff"
    if hasattr(os, "mkfifo"):  # not a regular file: read until it says it is empty
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        import threading

        writer = threading.Thread(target=fifo.write_bytes, args=(b"x" * 100_000,))
        writer.start()
        try:
            assert docs_import._read(str(fifo))[0] == b"x" * 100_000
        finally:
            writer.join()
