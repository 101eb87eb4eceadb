"""Importing audio files' tags and searching the music library."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from socialhub.search.music_import import import_music, read_track
from socialhub.search.music_store import MusicStore
from tests.conftest import CLIResult
from tests.search.test_music_files import write_audio


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "music"
    write_audio(root / "a" / "one.mp3", 200, title="Sunset Drive", artist="Night Owls",
                album="Coast", genre="Synthwave", date="1994", track=(1, 10), bpm=118)
    write_audio(root / "a" / "two.flac", 245, title="Harbour Lights", artist="Night Owls",
                album="Coast", genre="Synthwave", date="1994-06-01", track=(2, 10), bpm=124,
                disc=(1, 2))
    write_audio(root / "b" / "three.ogg", 180, title="Blue Smoke", artist="The Two Words",
                album="Late", genre="Jazz", date="1961", bpm=92)
    write_audio(root / "b" / "four.m4a", 300, title="Warehouse", artist="DJ Floor",
                album="Club", genre="House", date="2004", track=(3, 12), bpm=126,
                composer="A. Writer")
    write_audio(root / "c" / "five.wav", 60, title="Field Recording", artist="Nobody",
                genre="Ambient", date="2019")
    (root / "c" / "broken.mp3").write_bytes(b"this is not audio at all" * 10)
    (root / "c" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MusicStore]:
    s = MusicStore(tmp_path / "music.sqlite")
    yield s
    s.close()


@pytest.mark.parametrize("name", ["one.mp3", "two.flac", "three.ogg", "four.m4a", "five.wav"])
def test_each_format_yields_its_tags_and_stream_facts(library: Path, name: str) -> None:
    track = read_track(next(library.rglob(name)))
    assert track is not None
    assert track.title and track.artist and track.genre and track.year
    assert track.duration and track.duration > 50
    assert track.samplerate


def test_numbers_and_bpm_are_read_from_every_tag_family(library: Path) -> None:
    flac = read_track(library / "a" / "two.flac")
    m4a = read_track(library / "b" / "four.m4a")
    mp3 = read_track(library / "a" / "one.mp3")
    assert flac is not None and m4a is not None and mp3 is not None
    assert (flac.track, flac.tracktotal, flac.disc, flac.disctotal, flac.bpm) == (2, 10, 1, 2, 124)
    assert (m4a.track, m4a.tracktotal, m4a.bpm, m4a.composer) == (3, 12, 126, "A. Writer")
    assert (mp3.track, mp3.year, mp3.bitrate) == (1, 1994, 128)


def test_import_counts_and_skips_unreadable_files_with_a_warning(
        library: Path, store: MusicStore) -> None:
    warnings: list[str] = []
    summary = import_music(store, library, warn=warnings.append)
    assert (summary.added, summary.skipped, summary.ignored) == (5, 1, 1)
    assert len(warnings) == 1 and "broken.mp3" in warnings[0]
    store.integrity_check()


def test_second_import_reads_nothing_and_removed_files_disappear(
        library: Path, store: MusicStore) -> None:
    import_music(store, library)
    again = import_music(store, library)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    (library / "b" / "three.ogg").unlink()
    write_audio(library / "a" / "one.mp3", 200, title="Sunrise Drive", artist="Night Owls")
    os.utime(library / "a" / "one.mp3", ns=(1, 1))
    third = import_music(store, library)
    assert (third.updated, third.removed) == (1, 1)
    assert [t.title for t in store.search("sunrise").results] == ["Sunrise Drive"]
    assert store.search("smoke").results == []
    store.integrity_check()


def _titles(store: MusicStore, query: str) -> list[str | None]:
    return [t.title for t in store.search(query).results]


@pytest.mark.parametrize("query, expected", [
    ("night", ["Sunset Drive", "Harbour Lights"]),
    ("owl", ["Sunset Drive", "Harbour Lights"]),  # free words match as prefixes
    ('artist:"two words"', ["Blue Smoke"]),
    ("year:1990..1999", ["Sunset Drive", "Harbour Lights"]),
    ("bpm:120..130", ["Harbour Lights", "Warehouse"]),
    ("-genre:synthwave -genre:ambient", ["Warehouse", "Blue Smoke"]),
    ("genre:=Jazz", ["Blue Smoke"]),
    ("year- title- -artist:nobody", ["Warehouse", "Sunset Drive", "Harbour Lights", "Blue Smoke"]),
    ("date:1994-06", ["Harbour Lights"]),
    ("duration:4:00..", ["Harbour Lights", "Warehouse"]),
    ('"harbour lights"', ["Harbour Lights"]),
    ("-", []),
])
def test_query_language_finds_the_right_tracks(
        library: Path, store: MusicStore, query: str, expected: list[str]) -> None:
    import_music(store, library)
    titles = _titles(store, query)
    if "year-" in query:
        assert titles == expected
    else:
        assert sorted(t or "" for t in titles) == sorted(expected)


def test_pages_neither_overlap_nor_skip(library: Path, store: MusicStore) -> None:
    import_music(store, library)
    pages = [store.search("", limit=2, offset=o) for o in (0, 2, 4)]
    ids = [t.id for p in pages for t in p.results]
    assert len(ids) == len(set(ids)) == 5
    assert pages[0].next_offset == 2 and pages[2].next_offset is None


def test_cli_imports_searches_and_shows_a_track_as_json(
        library: Path, cli: Callable[..., CLIResult]) -> None:
    imported = cli("music", "import", str(library), "--json")
    assert imported.exit_code == 0, imported.stderr
    summary: Any = imported.json()
    assert summary["skipped"] == 1
    assert "broken.mp3" in imported.stderr
    found = cli("music", "search", "genre:house", "bpm:120..130", "--json")
    assert found.exit_code == 0, found.stderr
    page: Any = found.json()
    (hit,) = page["results"]
    shown: Any = cli("music", "track", str(hit["id"]), "--json").json()
    assert shown["title"] == "Warehouse" and shown["bpm"] == 126
    table = cli("music", "search", "night")
    assert "Sunset Drive" in table.stdout and table.exit_code == 0


def test_cli_names_a_bad_query_and_a_missing_track(cli: Callable[..., CLIResult]) -> None:
    bad = cli("music", "search", "colour:red")
    assert bad.exit_code == 4 and "unknown field 'colour'" in bad.stderr
    missing = cli("music", "track", "999", "--json")
    assert missing.exit_code == 5 and "no track with id 999" in missing.stderr
    assert missing.stdout == ""


@pytest.mark.skipif(not (shutil.which("lame") and shutil.which("flac") and shutil.which("oggenc")),
                    reason="real encoders (lame, flac, oggenc) not installed")
def test_files_from_real_encoders_import_too(tmp_path: Path, store: MusicStore) -> None:
    wav = write_audio(tmp_path / "src.wav", 1.0)
    out = tmp_path / "enc"
    out.mkdir()
    run = dict(check=True, capture_output=True)
    subprocess.run(["lame", "--quiet", "--tt", "Lame Song", "--ta", "Encoder",
                    str(wav), str(out / "x.mp3")], **run)  # type: ignore[call-overload]
    subprocess.run(["flac", "--silent", "-T", "TITLE=Flac Song", "-T", "ARTIST=Encoder",
                    "-o", str(out / "x.flac"), str(wav)], **run)  # type: ignore[call-overload]
    subprocess.run(["oggenc", "--quiet", "-t", "Ogg Song", "-a", "Encoder",
                    "-o", str(out / "x.ogg"), str(wav)], **run)  # type: ignore[call-overload]
    summary = import_music(store, out)
    assert (summary.added, summary.skipped) == (3, 0)
    titles = sorted(t or "" for t in _titles(store, "artist:encoder"))
    assert titles == ["Flac Song", "Lame Song", "Ogg Song"]
