"""Import a folder of audio files into the music library by reading their tags.

Tags come from ``mutagen`` in its three families — ID3 (MP3, WAV, AIFF),
Vorbis comments (FLAC, Ogg Vorbis, Opus) and MP4 atoms (M4A) — normalised to
one :class:`Track`. Incremental on size and modification time: hashing every
audio file would read gigabytes to learn that nothing changed. Files mutagen
cannot read are skipped with a warning and counted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialhub.errors import ValidationError
from socialhub.search.music_store import MusicStore, Track

AUDIO_SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".m4b", ".mp4",
                            ".wav", ".aif", ".aiff"})

ProgressFn = Callable[[int, int], None]
WarnFn = Callable[[str], None]

# Each family's key for each of our fields.
_ID3 = {"title": "TIT2", "artist": "TPE1", "album": "TALB", "albumartist": "TPE2",
        "genre": "TCON", "composer": "TCOM", "date": "TDRC", "track": "TRCK", "disc": "TPOS",
        "bpm": "TBPM"}
_VORBIS = {"title": "title", "artist": "artist", "album": "album",
           "albumartist": "albumartist", "genre": "genre", "composer": "composer",
           "comment": "comment", "date": "date", "track": "tracknumber", "disc": "discnumber",
           "bpm": "bpm", "tracktotal": "tracktotal", "disctotal": "disctotal"}
_MP4 = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "albumartist": "aART",
        "genre": "\xa9gen", "composer": "\xa9wrt", "comment": "\xa9cmt", "date": "\xa9day",
        "track": "trkn", "disc": "disk", "bpm": "tmpo"}


@dataclass
class MusicImportSummary:
    """What an import did; ``skipped`` files could not be read as audio."""

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


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple) and value and not isinstance(value, str):
        return value[0]
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if value is None:
        return None
    text = str(value).replace("\x00", " ").strip()
    return text or None


def _int(value: Any) -> int | None:
    m = re.match(r"\s*(\d+)", str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _number_pair(value: Any) -> tuple[int | None, int | None]:
    """'3/12', (3, 12) or '3' → (number, total)."""
    value = _first(value)
    if isinstance(value, tuple):
        num, total = [*value, None, None][:2]
        return (num or None, total or None)
    text = _text(value)
    if not text:
        return None, None
    num, _, total = text.partition("/")
    return _int(num), _int(total)


def _float(value: Any) -> float | None:
    text = _text(value)
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _raw_tags(tags: Any) -> dict[str, Any]:
    """Pull our fields out of whichever tag family the file has."""
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    out: dict[str, Any] = {}
    if isinstance(tags, ID3):
        for name, frame_id in _ID3.items():
            frames = tags.getall(frame_id)
            if frames:
                out[name] = frames[0].text if hasattr(frames[0], "text") else None
        comments = tags.getall("COMM")
        if comments:
            out["comment"] = comments[0].text
        return out
    if isinstance(tags, MP4Tags):
        for name, key in _MP4.items():
            if key in tags:
                out[name] = tags[key]
        return out
    if tags is not None and hasattr(tags, "keys"):
        lowered = {str(k).lower(): k for k in tags.keys()}  # noqa: SIM118 (VComment iterates pairs)
        for name, key in _VORBIS.items():
            if key in lowered:
                out[name] = tags[lowered[key]]
        if "year" not in out and "year" in lowered:
            out["date"] = tags[lowered["year"]]
    return out


def read_track(path: Path) -> Track | None:
    """Return ``path``'s tags and stream facts, or None when it is not readable audio."""
    import mutagen

    try:
        audio = mutagen.File(str(path))
    except (mutagen.MutagenError, OSError, ValueError, IndexError, KeyError, EOFError):
        return None
    if audio is None or getattr(audio, "info", None) is None:
        return None
    raw = _raw_tags(audio.tags)
    info = audio.info
    track, tracktotal = _number_pair(raw.get("track"))
    disc, disctotal = _number_pair(raw.get("disc"))
    date = _text(raw.get("date"))
    year = _int(date[:4]) if date and re.match(r"\d{4}", date) else None
    bitrate = getattr(info, "bitrate", 0) or 0
    stat = path.stat()
    return Track(
        path=str(path), format=path.suffix.lower().lstrip("."), size=stat.st_size,
        mtime_ns=stat.st_mtime_ns, title=_text(raw.get("title")), artist=_text(raw.get("artist")),
        album=_text(raw.get("album")), albumartist=_text(raw.get("albumartist")),
        genre=_text(raw.get("genre")), composer=_text(raw.get("composer")),
        comment=_text(raw.get("comment")), date=date, year=year, track=track,
        tracktotal=tracktotal or _int(_text(raw.get("tracktotal"))), disc=disc,
        disctotal=disctotal or _int(_text(raw.get("disctotal"))), bpm=_float(raw.get("bpm")),
        duration=round(float(getattr(info, "length", 0) or 0), 3) or None,
        bitrate=round(bitrate / 1000) or None,
        samplerate=getattr(info, "sample_rate", None) or None,
        channels=getattr(info, "channels", None) or None,
    )


def import_music(store: MusicStore, directory: Path, *, progress: ProgressFn | None = None,
                 warn: WarnFn | None = None) -> MusicImportSummary:
    """Bring the music library in line with the audio files under ``directory``.

    Raises:
        ValidationError: ``directory`` is not a folder.
        DatabaseError: the sidecar is corrupted or locked.
    """
    root = directory.expanduser()
    if not root.is_dir():
        raise ValidationError(f"not a folder: {directory}")
    root = root.resolve()
    summary = MusicImportSummary(directory=str(root))
    known = store.known_files(str(root) + os.sep)
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files.extend(Path(dirpath, n) for n in sorted(filenames) if not n.startswith("."))
    upserts: list[Track] = []
    seen: set[str] = set()
    for index, path in enumerate(files, 1):
        if progress is not None:
            progress(index, len(files))
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            summary.ignored += 1
            continue
        summary.scanned += 1
        source = str(path)
        try:
            stat = path.stat()
        except OSError as exc:
            seen.add(source)
            _skip(summary, warn, source, f"cannot read ({exc.strerror})")
            continue
        old = known.get(source)
        if old is not None and (old[1], old[2]) == (stat.st_size, stat.st_mtime_ns):
            seen.add(source)
            summary.unchanged += 1
            continue
        track = read_track(path)
        if track is None:
            _skip(summary, warn, source, "not a readable audio file")
            continue
        seen.add(source)
        upserts.append(track)
        if old is None:
            summary.added += 1
        else:
            summary.updated += 1
    removals = [tid for source, (tid, _, _) in known.items() if source not in seen]
    summary.removed = len(removals)
    if upserts or removals:
        store.apply_import(upserts, removals)
    return summary


def _skip(summary: MusicImportSummary, warn: WarnFn | None, source: str, why: str) -> None:
    summary.skipped += 1
    summary.skipped_files.append(source)
    if warn is not None:
        warn(f"skipped {source}: {why}")
