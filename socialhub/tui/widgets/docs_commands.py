"""The command palette's docs search: insert a link or a quote from the docs library.

Offered on the editor (ctrl+p is taken by "publish now", so the palette opens
with ctrl+backslash there, as everywhere in Textual). Typing searches the
docs sidecar — the same FTS5 library as ``socialhub search`` — and each hit
offers two commands: insert its link, or insert the matching passage as a
quote, at the cursor in the body.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from textual.command import Hit, Hits, Provider

from socialhub.services.search.quotes import DocQuote, doc_quotes

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp


@runtime_checkable
class BodyEditor(Protocol):
    """A screen that takes text into the post body it edits (the editor screen)."""

    def insert_into_body(self, text: str) -> None:
        """Insert ``text`` at the cursor of the body."""


class DocsCommands(Provider):
    """Docs-library hits as "Insert link" / "Insert quote" commands."""

    store: Any = None

    async def startup(self) -> None:
        from socialhub.services.search.stores import open_docs

        app = cast("HubApp", self.app)
        try:
            self.store = await asyncio.to_thread(open_docs, app.hub.config)
        except Exception as exc:  # a broken sidecar must not break the palette
            app.report(exc)
            self.store = None

    async def shutdown(self) -> None:
        if self.store is not None:
            self.store.close()

    async def search(self, query: str) -> Hits:
        """Search the docs as the person types; two commands per document found."""
        if self.store is None or len(query.strip()) < 2:
            return
        app = cast("HubApp", self.app)
        try:
            found = await asyncio.to_thread(doc_quotes, self.store, query)
        except Exception as exc:
            app.report(exc)
            return
        matcher = self.matcher(query)
        for rank, doc in enumerate(found):
            score = max(matcher.match(doc.title), 0.5) - rank * 0.01  # FTS order first
            yield Hit(score, f"Insert link: {doc.title}", partial(self._insert, doc, "link"),
                      help=doc.link)
            yield Hit(score - 0.005, f"Insert quote: {doc.title}",
                      partial(self._insert, doc, "quote"), help=f"“{doc.quote[:70]}”")

    def _insert(self, doc: DocQuote, how: str) -> None:
        screen = self.screen
        if not isinstance(screen, BodyEditor):
            self.app.notify("open a post in the editor to insert from the docs",
                            severity="warning")
            return
        text = doc.link if how == "link" else f"“{doc.quote}” — {doc.title}"
        screen.insert_into_body(text)
