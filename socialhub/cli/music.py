"""``socialhub music``: the music library (import from audio tags, search, show a track)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, info, out, state
from socialhub.services.search.limits import MAX_LIMIT, MAX_OFFSET

if TYPE_CHECKING:
    from socialhub.services.search.types import MusicStore, Track

app = typer.Typer(help="Search the music library built from your audio files' tags.",
                  no_args_is_help=True)


def _store() -> MusicStore:
    from socialhub.services.search.stores import open_music

    return open_music(get_config())


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


@app.command("import")
def import_music(
    directory: Annotated[Path, typer.Argument(help="Folder of audio files (recursively).")],
    json_: JsonOption = False,
) -> None:
    """Import tags from MP3, FLAC, Ogg, M4A and WAV files in a folder.

    Incremental: files with the same size and modification time are not read
    again, and tracks whose file is gone are removed. Unreadable files are
    skipped with a warning.

    Example: socialhub music import ~/Music
    """
    from socialhub.services.search.stores import import_tracks
    from socialhub.services.search.types import ImportProgress

    with ImportProgress("music import", quiet=state.quiet) as progress:
        summary = import_tracks(get_config(), directory, progress=progress, warn=progress.warn)
    if json_:
        emit_json(summary.to_dict())
        return
    typer.echo(f"{summary.added} added, {summary.updated} updated, {summary.unchanged} "
               f"unchanged, {summary.removed} removed, {summary.skipped} skipped "
               f"({summary.scanned} audio files scanned in {summary.directory})")


@app.command("search")
def search(
    query: Annotated[list[str] | None, typer.Argument(
        help='Terms: words, field:value, artist:"two words", year:1990..1999, '
             "bpm:120..130, -genre:jazz, sort with year- or artist+.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=MAX_LIMIT,
                                       help="How many tracks.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_OFFSET,
                                        help="Skip this many tracks.")] = 0,
    json_: JsonOption = False,
) -> None:
    """Search tracks with a beets-like query (no query lists everything).

    Example: socialhub music search 'genre:house bpm:120..128 -artist:"dj x" year-'
    """
    from rich.table import Table

    # Terms given as separate shell words are joined back; quote a field's spaces.
    text = " ".join(query or [])
    store = _store()
    try:
        page = store.search(text, limit=limit, offset=offset)
    finally:
        store.close()
    if json_:
        emit_json(page.to_dict())
        return
    if not page.results:
        info("no matching tracks")
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for name in ("id", "artist", "title", "album", "year", "bpm", "length"):
        table.add_column(name, overflow="fold")
    for t in page.results:
        table.add_row(str(t.id), t.artist or "", t.title or Path(t.path).name, t.album or "",
                      str(t.year or ""), f"{t.bpm:g}" if t.bpm else "", _duration(t.duration))
    out().print(table)
    if page.next_offset is not None:
        info(f"more results: --offset {page.next_offset}")


def _render_track(track: Track) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in track.to_dict().items():
        if value is not None:
            table.add_row(key, _duration(value) if key == "duration" else str(value))
    out().print(table)


@app.command("track")
def track(
    track_id: Annotated[int, typer.Argument(metavar="ID", help="Track id.")],
    json_: JsonOption = False,
) -> None:
    """Show one track's tags and stream facts."""
    store = _store()
    try:
        found = store.get(track_id)
    finally:
        store.close()
    if json_:
        emit_json(found.to_dict())
    else:
        _render_track(found)
