"""The docs library: import, ranking, sidecar versions, corruption, locks, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from socialhub.errors import DatabaseError, NotFoundError, ValidationError
from socialhub.search import docs_import
from socialhub.search.docs_import import import_directory, parse_document
from socialhub.search.docs_store import DocInput, DocsStore
from socialhub.search.sidecar import Schema, connect


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "brand").mkdir(parents=True)
    (root / "brand" / "voice.md").write_text(
        "---\ntitle: Voice and tone\ntags: [brand, writing]\n---\n# Ignored heading\n"
        "We write warm, direct sentences.\n", encoding="utf-8")
    (root / "launch.html").write_text(
        "<html><head><title>Launch plan</title><script>var warm = 1;</script></head>"
        "<body><h1>Plan</h1><p>Ship on Monday &amp; tell everyone.</p></body></html>",
        encoding="utf-8")
    (root / "ideas.txt").write_text("Ideas for spring\nA warm welcome post.\n", encoding="utf-8")
    (root / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    (root / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.md").write_text("# not a document", encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG")
    return root


def test_titles_come_from_front_matter_then_heading_then_first_line() -> None:
    assert parse_document("---\ntitle: Front\n---\n# Head\nbody", ".md", "f").title == "Front"
    assert parse_document("intro\n\n## Head ##\nbody", ".md", "f").title == "Head"
    assert parse_document("Setext\n======\nbody", ".md", "f").title == "Setext"
    assert parse_document("no heading here", ".md", "file-name").title == "file-name"
    assert parse_document("\n\nFirst line\nsecond", ".txt", "f").title == "First line"
    html = parse_document("<h1>Only h1</h1><p>x</p>", ".html", "f")
    assert (html.title, html.body) == ("Only h1", "Only h1\nx")


def test_import_skips_binary_and_undecodable_files_with_warnings(
        store: DocsStore, folder: Path) -> None:
    warnings: list[str] = []
    summary = import_directory(store, folder, warn=warnings.append)
    assert (summary.added, summary.skipped, summary.ignored) == (3, 2, 1)
    assert sorted(Path(w.split(":")[0].removeprefix("skipped ")).name for w in warnings) == [
        "latin1.txt", "photo.md"]
    assert store.count() == 3
    store.integrity_check()


def test_script_text_is_not_indexed_but_page_text_is(store: DocsStore, folder: Path) -> None:
    import_directory(store, folder)
    assert [h.title for h in store.search("monday").results] == ["Launch plan"]
    assert "Launch plan" not in [h.title for h in store.search("var").results]


def test_second_import_changes_nothing_and_edits_and_deletions_are_followed(
        store: DocsStore, folder: Path) -> None:
    import_directory(store, folder)
    again = import_directory(store, folder)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    before = {h.title: h.id for h in store.search("warm").results}
    (folder / "ideas.txt").write_text("Ideas for autumn\nA cosy welcome post.\n", "utf-8")
    (folder / "launch.html").unlink()
    third = import_directory(store, folder)
    assert (third.updated, third.removed) == (1, 1)
    assert [h.title for h in store.search("cosy").results] == ["Ideas for autumn"]
    assert store.search("monday").results == []
    assert store.search("autumn").results[0].id == before["Ideas for spring"]  # id kept
    store.integrity_check()


def test_import_only_removes_documents_from_the_folder_it_imports(
        store: DocsStore, folder: Path, tmp_path: Path) -> None:
    manual = store.add(DocInput("Manual note", "added by hand"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.md").write_text("# Other\ntext", "utf-8")
    import_directory(store, other)
    import_directory(store, folder)
    assert store.get(manual.id).title == "Manual note"
    assert [h.title for h in store.search("other").results] == ["Other"]


def test_bulk_import_and_trigger_import_build_the_same_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(40):
        (root / f"{i}.md").write_text(f"# Note {i}\nshared word{i % 7} text", "utf-8")
    results = []
    for threshold in (1, 10_000):
        monkeypatch.setattr(docs_import, "BULK_THRESHOLD", threshold)
        s = DocsStore(tmp_path / f"docs-{threshold}.sqlite")
        import_directory(s, root)
        s.integrity_check()
        results.append([(h.title, h.score) for h in s.search("word3", limit=50).results])
        s.add(DocInput("after bulk", "word3 again"))  # the triggers are back
        assert s.search("again").results[0].title == "after bulk"
        s.close()
    assert results[0] == results[1] and len(results[0]) > 0


def test_titles_rank_above_bodies(store: DocsStore) -> None:
    store.add(DocInput("Unrelated", "a paragraph about pricing and more pricing"))
    store.add(DocInput("Pricing", "the page"))
    assert [h.title for h in store.search("pricing").results] == ["Pricing", "Unrelated"]


def test_snippets_highlight_the_matches(store: DocsStore) -> None:
    store.add(DocInput("T", "one two three four"))
    (hit,) = store.search("three").results
    assert hit.snippet == "one two <mark>three</mark> four"


def test_pages_are_stable_when_scores_tie(store: DocsStore) -> None:
    for i in range(25):
        store.add(DocInput(f"doc {i}", "identical body text"))
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = store.search("identical", limit=7, offset=offset)
        seen += [h.id for h in page.results]
        offset = page.next_offset
    assert seen == sorted(seen) and len(set(seen)) == 25


def test_show_and_remove_name_missing_documents(store: DocsStore) -> None:
    with pytest.raises(NotFoundError, match="no document with id 42"):
        store.get(42)
    with pytest.raises(NotFoundError):
        store.remove(42)
    with pytest.raises(ValidationError, match="non-empty title"):
        store.add(DocInput("  ", "body"))


def test_corrupted_sidecar_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match=r"docs sidecar .*docs.sqlite is corrupted"):
        DocsStore(path).count()


def test_another_sqlite_file_is_refused_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "foreign.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE mine (x)")
    with pytest.raises(DatabaseError, match="not a socialhub docs sidecar"):
        DocsStore(path).count()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


def test_locked_sidecar_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    DocsStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = DocsStore(path, busy_timeout_ms=50)
    try:
        with pytest.raises(DatabaseError, match="is locked by another writer"):
            store.add(DocInput("t", "b"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()


def test_schema_is_upgraded_in_place_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    v1 = Schema("test", 0x5453_5431, ("CREATE TABLE t (a TEXT);",))
    conn = connect(path, v1)
    conn.execute("INSERT INTO t VALUES ('kept')")
    conn.close()
    v2 = Schema("test", 0x5453_5431, (*v1.steps, "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7;"))
    conn = connect(path, v2)
    assert conn.execute("SELECT a, b FROM t").fetchall() == [("kept", 7)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this socialhub understands"):
        connect(path, v1)


def _writer(path: str, worker: int, count: int) -> None:
    store = DocsStore(Path(path), busy_timeout_ms=30_000)
    ids = []
    for i in range(count):
        ids.append(store.add(DocInput(f"w{worker} doc {i}", f"shared body worker{worker}")).id)
        if i % 3 == 0:
            store.remove(ids.pop(0))
    store.close()


def test_concurrent_writer_processes_never_corrupt_the_index(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    DocsStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 60)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = DocsStore(path)
    conn = store.pool.get()
    conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('integrity-check')")
    store.integrity_check()
    assert store.count() == 4 * 40
    assert len(store.search("worker2", limit=200).results) == 40
    store.close()


def test_parallel_import_finds_what_a_serial_import_finds(
        folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = DocsStore(tmp_path / "serial.sqlite")
    first = import_directory(serial, folder)
    monkeypatch.setattr(docs_import, "PARALLEL_THRESHOLD", 1)
    parallel = DocsStore(tmp_path / "parallel.sqlite")
    second = import_directory(parallel, folder)
    assert first.to_dict() | {"directory": ""} == second.to_dict() | {"directory": ""}
    assert [h.title for h in serial.search("warm").results] == [
        h.title for h in parallel.search("warm").results]
    serial.close()
    parallel.close()


def _all_ranked(store: DocsStore, word: str) -> list[tuple[int, float]]:
    """Every match of ``word`` ranked with bm25 over the whole library (no candidate bound)."""
    rows = store.pool.get().execute(
        "SELECT rowid, rank FROM docs_fts WHERE docs_fts MATCH ? ORDER BY rank, rowid",
        (f'"{word}"',)).fetchall()
    return [(r[0], -r[1]) for r in rows]


def test_a_query_matching_fewer_documents_than_the_bound_is_ranked_exactly(
        tmp_path: Path) -> None:
    store = DocsStore(tmp_path / "docs.sqlite", rank_candidates=12)
    for i in range(12):
        # Scores differ: the older documents are the better matches.
        store.add(DocInput(f"doc {i}", " ".join(["word"] * (12 - i) + ["filler"] * i * 3)))
    page = store.search("word", limit=12)
    assert [(h.id, h.score) for h in page.results] == _all_ranked(store, "word")
    assert page.results[0].title == "doc 0" and page.next_offset is None
    store.close()


def test_a_query_matching_more_than_the_bound_ranks_only_its_newest_matches(
        tmp_path: Path) -> None:
    store = DocsStore(tmp_path / "docs.sqlite", rank_candidates=5)
    for i in range(8):
        store.add(DocInput(f"doc {i}", " ".join(["word"] * (8 - i) + ["filler"] * i * 3)))
    store.add(DocInput("rare", "word only here, unique"))
    every = _all_ranked(store, "word")
    assert every[0][0] == 1  # over the whole library, the oldest document is the best
    newest = sorted(every, key=lambda hit: -hit[0])[:5]  # the five newest matches…
    expected = sorted(newest, key=lambda hit: (-hit[1], hit[0]))  # …ranked among themselves
    page = store.search("word", limit=3)
    assert [(h.id, h.score) for h in page.results] == expected[:3]
    assert page.next_offset == 3
    last = store.search("word", limit=3, offset=3)
    assert [(h.id, h.score) for h in last.results] == expected[3:]
    assert last.next_offset is None  # pages end at the bound
    # A query the bound does not cut is unaffected by other words' match counts.
    assert [h.title for h in store.search("unique").results] == ["rare"]
    store.close()
