"""Docs-library hits as links and quotes to insert into a draft (the command palette)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocQuote:
    """A docs-library hit, ready to insert into a draft as a link or a quote."""

    title: str
    link: str
    quote: str


def doc_quotes(store: Any, query: str, *, limit: int = 8) -> list[DocQuote]:
    """Search the docs library (``services.search.stores.open_docs``) for the command palette.

    The query is escaped (plain mode), so whatever is typed is searched for
    literally and never raises a syntax error. The link is the document's
    source (a file path or URL it was imported from), else ``docs:ID``; the
    quote is the matching passage.
    """
    if not query.strip():
        return []
    page = store.search(query, limit=limit, highlight=("", ""))
    return [DocQuote(hit.title, hit.source or f"docs:{hit.id}",
                     " ".join(hit.snippet.split()).strip("…").strip())
            for hit in page.results]
