"""Query escaping: no user string errors, and plain mode never runs FTS5 syntax."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialhub.search.api import create_app
from socialhub.search.docs_store import DocInput, DocsStore
from socialhub.search.fts import QueryError, build_match, escape_fts
from socialhub.services.settings import load_config

# Text that leans on FTS5's own syntax, mixed with anything else.
SYNTAX = st.sampled_from(['"', "'", "*", "^", ":", "-", "+", "(", ")", "{", "}", "NEAR",
                          "AND", "OR", "NOT", "title:", "body", "\x00", " ", "\\", "é", "😀"])
QUERIES = st.one_of(st.text(), st.lists(st.one_of(SYNTAX, st.text(max_size=4)),
                                        max_size=12).map("".join))


_SCRATCH = sqlite3.connect(":memory:")
_SCRATCH.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
_SCRATCH.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")


def _has_tokens(text: str) -> bool:
    """Whether FTS5's tokenizer finds any word in ``text`` (then it must be findable)."""
    _SCRATCH.execute("DELETE FROM t")
    _SCRATCH.execute("INSERT INTO t VALUES (?)", (text.replace("\x00", " "),))
    return bool(_SCRATCH.execute("SELECT count(*) FROM v").fetchone()[0])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsStore]:
    s = DocsStore(tmp_path_factory.mktemp("fts") / "docs.sqlite")
    s.add(DocInput("alpha", "alpha beta gamma NEAR delta"))
    s.add(DocInput("beta", "beta only"))
    yield s
    s.close()


def test_escaping_quotes_each_word() -> None:
    assert escape_fts('say "hi" NOT-now') == '"say" """hi""" "NOT-now"'
    assert escape_fts("  ") == ""
    assert escape_fts("a\x00b") == '"a" "b"'


def test_operators_are_words_in_plain_mode(store: DocsStore) -> None:
    # In FTS5 syntax "alpha NOT beta" excludes doc 1; as words it requires "not".
    assert store.search("alpha NOT beta").results == []
    assert [h.title for h in store.search("alpha NOT beta", mode="raw").results] == []
    assert [h.title for h in store.search("beta OR zzz", mode="raw").results] == ["beta", "alpha"]
    assert store.search("beta OR zzz").results == []


def test_raw_mode_supports_phrases_near_and_prefixes(store: DocsStore) -> None:
    assert [h.title for h in store.search('"beta gamma"', mode="raw").results] == ["alpha"]
    assert [h.title for h in store.search("NEAR(alpha delta, 4)", mode="raw").results] == [
        "alpha"]
    assert len(store.search("gam*", mode="raw").results) == 1


@pytest.mark.parametrize("query", ['"unclosed', "NEAR(", "a AND", "nosuchcol:x", "(", "*"])
def test_malformed_raw_queries_are_query_errors(store: DocsStore, query: str) -> None:
    with pytest.raises(QueryError, match="malformed search query"):
        store.search(query, mode="raw")


def test_unknown_modes_are_query_errors() -> None:
    with pytest.raises(QueryError, match="unknown query mode"):
        build_match("x", "regex")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERIES)
def test_any_text_searched_plainly_finds_the_document_that_contains_it(
        store: DocsStore, text: str) -> None:
    # If FTS5 syntax in ``text`` were interpreted (NOT, -, col:, ^, NEAR …) the
    # document whose body *is* the text could be excluded, or the query could fail.
    doc = store.add(DocInput("probe", text))
    try:
        page = store.search(text, limit=200)
        if _has_tokens(text):
            assert doc.id in [h.id for h in page.results]
    finally:
        store.remove(doc.id)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("api")
    config = load_config(env={"SOCIALHUB_HOME": str(root)})
    with TestClient(create_app(config)) as c:
        c.post("/docs", json={"title": "seed", "body": "alpha beta"})
        yield c


@settings(max_examples=200, deadline=None)
@given(text=QUERIES, raw=st.booleans())
def test_no_user_string_makes_the_api_fail_with_a_500(client: TestClient, text: str,
                                                        raw: bool) -> None:
    resp = client.get("/search", params={"q": text, "mode": "raw" if raw else "plain"})
    assert resp.status_code in ((200, 400) if raw else (200,))
    if resp.status_code == 400:
        assert resp.json()["error"]["code"] == "bad_query"
    music = client.get("/music/search", params={"q": text})
    assert music.status_code in (200, 400)
