"""``socialhub docs``: the reference-docs library (import, add, show, remove, search)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, info, out, state
from socialhub.errors import ValidationError
from socialhub.services.search.limits import MAX_LIMIT, MAX_OFFSET

if TYPE_CHECKING:
    from socialhub.services.search.types import Doc, DocsStore

app = typer.Typer(help="Search and manage the docs library (Markdown, text, HTML).",
                  no_args_is_help=True)

MARK_START, MARK_END = "\x02", "\x03"  # never in text we index; turned into styles below


def _store() -> DocsStore:
    from socialhub.services.search.stores import open_docs

    return open_docs(get_config())


@app.command("import")
def import_docs(
    directory: Annotated[Path, typer.Argument(help="Folder to import (recursively).")],
    json_: JsonOption = False,
) -> None:
    """Import a folder of Markdown, text and HTML files.

    Incremental: unchanged files are skipped by content hash, and documents
    whose file was removed from the folder are removed. Binary or
    undecodable files are skipped with a warning.

    Example: socialhub docs import ~/notes
    """
    from socialhub.services.search.stores import import_docs as run_import
    from socialhub.services.search.types import ImportProgress

    with ImportProgress("docs import", quiet=state.quiet) as progress:
        summary = run_import(get_config(), directory, progress=progress, warn=progress.warn)
    if json_:
        emit_json(summary.to_dict())
        return
    typer.echo(f"{summary.added} added, {summary.updated} updated, {summary.unchanged} "
               f"unchanged, {summary.removed} removed, {summary.skipped} skipped "
               f"({summary.scanned} documents scanned in {summary.directory})")


@app.command("add")
def add(
    title: Annotated[str, typer.Option("--title", "-t", help="The document's title.")],
    body: Annotated[str | None, typer.Option("--body", "-b", help="The text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the text from a file "
                                              "('-' for stdin).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    json_: JsonOption = False,
) -> None:
    """Add one document.

    Example: socialhub docs add --title "Tone of voice" --file tone.md --tag brand
    """
    from socialhub.services.search.types import DocInput

    if (body is None) == (file is None):
        raise ValidationError("give exactly one of --body or --file")
    if file is not None:
        from socialhub.cli.stdin import read_stdin_text

        try:
            text = read_stdin_text() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {file} as UTF-8 text: {exc}") from None
    else:
        text = body or ""
    store = _store()
    try:
        doc = store.add(DocInput(title, text, tuple(tag or ())))
    finally:
        store.close()
    if json_:
        emit_json(doc.to_dict())
    else:
        typer.echo(doc.id)
        info(f"added document {doc.id}: {doc.title}")


def _render_doc(doc: Doc) -> None:
    from rich.text import Text

    console = out()
    console.print(Text(doc.title, style="bold"))
    meta = f"id {doc.id} · updated {doc.updated_at}"
    if doc.tags:
        meta += " · tags: " + ", ".join(doc.tags)
    if doc.source:
        meta += f" · {doc.source}"
    console.print(Text(meta, style="dim"))
    console.print()
    console.print(Text(doc.body))


@app.command("show")
def show(
    doc_id: Annotated[int, typer.Argument(metavar="ID", help="Document id.")],
    json_: JsonOption = False,
) -> None:
    """Show one document."""
    store = _store()
    try:
        doc = store.get(doc_id)
    finally:
        store.close()
    if json_:
        emit_json(doc.to_dict())
    else:
        _render_doc(doc)


@app.command("remove")
def remove(doc_id: Annotated[int, typer.Argument(metavar="ID", help="Document id.")]) -> None:
    """Remove one document."""
    store = _store()
    try:
        store.remove(doc_id)
    finally:
        store.close()
    info(f"removed document {doc_id}")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to find; all must match.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=MAX_LIMIT,
                                       help="How many results.")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_OFFSET,
                                        help="Skip this many results.")] = 0,
    raw: Annotated[bool, typer.Option("--raw", help='Use FTS5 syntax: "a phrase", '
                                      "NEAR(a b), prefix*, OR, NOT.")] = False,
    json_: JsonOption = False,
) -> None:
    """Search the docs library, best match first.

    Example: socialhub docs search "launch checklist" --limit 5
    """
    from rich.table import Table
    from rich.text import Text

    store = _store()
    try:
        highlight = ("<mark>", "</mark>") if json_ else (MARK_START, MARK_END)
        page = store.search(query, limit=limit, offset=offset, mode="raw" if raw else "plain",
                            highlight=highlight)
    finally:
        store.close()
    if json_:
        emit_json(page.to_dict())
        return
    if not page.results:
        info("no matching documents")
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for name in ("id", "title", "snippet"):
        table.add_column(name, overflow="fold")
    for hit in page.results:
        snippet = Text()
        for i, part in enumerate(hit.snippet.replace(MARK_END, MARK_START).split(MARK_START)):
            snippet.append(part.replace("\n", " "), style="bold yellow" if i % 2 else "")
        table.add_row(str(hit.id), hit.title, snippet)
    out().print(table)
    if page.next_offset is not None:
        info(f"more results: --offset {page.next_offset}")
