"""Real, tiny audio files in every supported format, built in-process.

No encoders needed: each file is a valid container with a correct header
(MPEG frames, FLAC STREAMINFO, Ogg Vorbis headers, MP4 atoms, RIFF WAVE) and
mutagen writes the tags, exactly as it would into a file from a real encoder.
"""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

SR = 44100


def _mp3(seconds: float) -> bytes:
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no CRC: 417-byte frames of 1152 samples.
    frame = bytes([0xFF, 0xFB, 0x90, 0x00]) + b"\x00" * 413
    return frame * max(1, round(seconds * SR / 1152))


def _flac(seconds: float) -> bytes:
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6
    packed = (SR << 44) | (1 << 41) | (15 << 36) | int(seconds * SR)
    info += packed.to_bytes(8, "big") + b"\x00" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def _ogg(seconds: float) -> bytes:
    from mutagen.ogg import OggPage

    ident = b"\x01vorbis" + struct.pack("<IBIiii", 0, 2, SR, 0, 128000, 0) + bytes([0xB8, 1])
    comment = b"\x03vorbis" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0) + b"\x01"
    setup = b"\x05vorbis" + b"\x00" * 16
    pages = []
    for seq, packets, pos in ((0, [ident], 0), (1, [comment, setup], 0),
                              (2, [b"\x00" * 10], int(seconds * SR))):
        page = OggPage()
        page.serial, page.sequence, page.packets, page.position = 1, seq, packets, pos
        page.first, page.last = seq == 0, seq == 2
        pages.append(page.write())
    return b"".join(pages)


def _atom(name: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), name) + payload


def _full(name: bytes, payload: bytes, flags: int = 0) -> bytes:
    return _atom(name, b"\x00" + flags.to_bytes(3, "big") + payload)


def _m4a(seconds: float) -> bytes:
    dur = int(seconds * 1000)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, 1000, dur) + struct.pack(">IH", 0x10000,
                 0x100) + b"\x00" * 10 + matrix + b"\x00" * 24 + struct.pack(">I", 2))
    tkhd = _full(b"tkhd", struct.pack(">IIIII", 0, 0, 1, 0, dur) + b"\x00" * 8
                 + struct.pack(">HHHH", 0, 0, 0x100, 0) + matrix + b"\x00" * 8, flags=7)
    mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, SR, int(seconds * SR))
                 + struct.pack(">HH", 0x55C4, 0))
    hdlr = _full(b"hdlr", struct.pack(">I4s", 0, b"soun") + b"\x00" * 12 + b"Sound\x00")
    dcd = bytes([0x40, 0x15, 0, 0, 0]) + struct.pack(">II", 128000, 128000) \
        + bytes([0x05, 2, 0x12, 0x10])
    es = struct.pack(">HB", 1, 0) + bytes([0x04, len(dcd)]) + dcd + bytes([0x06, 1, 2])
    esds = _full(b"esds", bytes([0x03, len(es)]) + es)
    mp4a = _atom(b"mp4a", b"\x00" * 6 + struct.pack(">H", 1) + b"\x00" * 8
                 + struct.pack(">HHHHI", 2, 16, 0, 0, SR << 16) + esds)
    stbl = _atom(b"stbl", _full(b"stsd", struct.pack(">I", 1) + mp4a)
                 + _full(b"stts", b"\x00" * 4) + _full(b"stsc", b"\x00" * 4)
                 + _full(b"stsz", b"\x00" * 8) + _full(b"stco", b"\x00" * 4))
    minf = _atom(b"minf", _full(b"smhd", b"\x00" * 4) + stbl)
    moov = _atom(b"moov", mvhd + _atom(b"trak", tkhd + _atom(b"mdia", mdhd + hdlr + minf)))
    return _atom(b"ftyp", b"M4A \x00\x00\x00\x00M4A mp42isom") + moov + _atom(b"mdat", b"")


def _wav(seconds: float) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buf.getvalue()


BUILDERS = {"mp3": _mp3, "flac": _flac, "ogg": _ogg, "m4a": _m4a, "wav": _wav}


def write_audio(path: Path, seconds: float = 2.0, **tags: Any) -> Path:
    """Write a valid audio file of ``path``'s format, tagged with ``tags``.

    Tag names: title, artist, album, albumartist, genre, date, track (n, total),
    disc (n, total), bpm, composer, comment.
    """
    fmt = path.suffix.lstrip(".")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BUILDERS[fmt](seconds))
    _tag(path, fmt, tags)
    return path


def _tag(path: Path, fmt: str, tags: dict[str, Any]) -> None:
    import mutagen
    from mutagen import id3

    if not tags:
        return
    if fmt in ("mp3", "wav"):
        audio = mutagen.File(str(path))
        if audio.tags is None:
            audio.add_tags()
        frames = {"title": id3.TIT2, "artist": id3.TPE1, "album": id3.TALB,
                  "albumartist": id3.TPE2, "genre": id3.TCON, "date": id3.TDRC,
                  "bpm": id3.TBPM, "composer": id3.TCOM}
        for key, value in tags.items():
            if key in ("track", "disc"):
                cls = id3.TRCK if key == "track" else id3.TPOS
                audio.tags.add(cls(encoding=3, text=f"{value[0]}/{value[1]}"))
            elif key == "comment":
                audio.tags.add(id3.COMM(encoding=3, lang="eng", desc="", text=str(value)))
            else:
                audio.tags.add(frames[key](encoding=3, text=str(value)))
        audio.save()
    elif fmt == "m4a":
        from mutagen.mp4 import MP4

        audio = MP4(str(path))
        keys = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb",
                "albumartist": "aART", "genre": "\xa9gen", "date": "\xa9day",
                "composer": "\xa9wrt", "comment": "\xa9cmt"}
        for key, value in tags.items():
            if key in ("track", "disc"):
                audio["trkn" if key == "track" else "disk"] = [tuple(value)]
            elif key == "bpm":
                audio["tmpo"] = [int(value)]
            else:
                audio[keys[key]] = [str(value)]
        audio.save()
    else:
        audio = mutagen.File(str(path))
        for key, value in tags.items():
            if key in ("track", "disc"):
                audio["tracknumber" if key == "track" else "discnumber"] = str(value[0])
                audio["tracktotal" if key == "track" else "disctotal"] = str(value[1])
            else:
                audio[key] = str(value)
        audio.save()


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_built_files_are_real_audio_that_mutagen_reads(tmp_path: Path, fmt: str) -> None:
    import mutagen

    path = write_audio(tmp_path / f"a.{fmt}", seconds=3.0, title="Tone", artist="Band")
    audio = mutagen.File(str(path))
    assert audio is not None
    assert audio.info.length == pytest.approx(3.0, abs=0.1)
