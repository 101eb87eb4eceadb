"""Cheap facts about a media file, read from its header: size, type, dimensions, duration.

Every adapter's ``validate()`` needs the same few facts to say "photo.png is
6.1 MB; X takes images up to 5 MB" before anything is uploaded. Image
dimensions come from ``imagesize`` (pure Python, no dependencies, reads only
headers: PNG, JPEG, GIF, WebP, HEIC, AVIF, TIFF, BMP…); Pillow would do it too
but weighs 22 MB of C extensions for a number in a header. Video facts come
from the MP4/MOV box tree (``mvhd`` movie duration, ``tkhd`` track size),
walked here: mutagen, already a dependency, reports the *audio* track's length
(not the movie's) and no dimensions, and ffprobe is a binary. A multi-gigabyte
video is never read whole. Anything a header does not say is None: callers
treat None as "not checked", never as 0.

The API is stable and shared by every adapter: ``media_facts(path)`` →
``MediaFacts(size, mime, width, height, duration_s)``, plus ``human_size``.
"""

from __future__ import annotations

import io
import mimetypes
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A fixed table first: mimetypes' answers depend on the host's /etc/mime.types.
_MIME_BY_SUFFIX: dict[str, str] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".heic": "image/heic", ".bmp": "image/bmp",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".mp4": "video/mp4", ".m4v": "video/mp4",
    ".mov": "video/quicktime", ".webm": "video/webm", ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".pdf": "application/pdf",
}
# ISO-BMFF brands of still images: HEIC/HEIF/AVIF files start with ftyp like MP4.
_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif",
                           b"avis"})
_MP4_CONTAINERS = frozenset({b"moov", b"trak"})


@dataclass(frozen=True)
class MediaFacts:
    """What a file's header says about it; None where the format does not tell us cheaply."""

    size: int
    mime: str | None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None

    @property
    def is_image(self) -> bool:
        """True for image/* types (GIFs included)."""
        return bool(self.mime and self.mime.startswith("image/"))

    @property
    def is_video(self) -> bool:
        """True for video/* types."""
        return bool(self.mime and self.mime.startswith("video/"))

    @property
    def is_gif(self) -> bool:
        """True for GIFs, which several platforms treat as video."""
        return self.mime == "image/gif"

    @property
    def aspect_ratio(self) -> float | None:
        """width / height, or None when either is unknown."""
        if not self.width or not self.height:
            return None
        return self.width / self.height


def mime_for(path: Path | str) -> str | None:
    """The mime type a file's extension implies (None when unknown)."""
    suffix = Path(path).suffix.lower()
    return _MIME_BY_SUFFIX.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]


def human_size(size: int) -> str:
    """A byte count as people read it in error messages: ``6.1 MB``, ``512 KB``, ``17 B``.

    Uses decimal units, as the platforms' documentation states its limits.
    """
    if size < 1000:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size_f = size / 1000
        if size_f < 1000 or unit == "GB":
            return f"{size_f:.1f} {unit}".replace(".0 ", " ")
        size = int(size_f)
    raise AssertionError("unreachable")


def media_facts(path: Path | str) -> MediaFacts:
    """Read a file's size, mime type (from its extension), dimensions and duration.

    Dimensions are read for PNG, JPEG, GIF and WebP images and for MP4/MOV
    videos (first track with a size); duration for MP4/MOV (``mvhd``). A
    truncated or unexpected header gives None for those fields, not an error.

    Args:
        path: a local file.

    Returns:
        The facts; ``mime`` is None for unknown extensions.

    Raises:
        OSError: the file does not exist or cannot be read.
    """
    path = Path(path)
    size = path.stat().st_size
    mime = mime_for(path)
    width = height = None
    duration = None
    with path.open("rb") as fh:
        head = fh.read(16)
        fh.seek(0)
        dims = _image_size(fh) if not _is_mp4(mime, head) else None
        if dims is not None:
            width, height = dims
        elif _is_mp4(mime, head):
            duration, width, height = _mp4_facts(fh, size)
    return MediaFacts(size=size, mime=mime, width=width, height=height, duration_s=duration)


def image_dimensions(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of an image; None when they do not say.

    PNG, JPEG, GIF, WebP, HEIC/AVIF, TIFF, BMP and the other formats
    ``imagesize`` reads from headers.
    """
    return _image_size(io.BytesIO(head))


def _image_size(fh: BinaryIO) -> tuple[int, int] | None:
    # Imported here, not at the top: it pulls in urllib and xml.etree (~15 ms),
    # which only a media check needs, never `socialhub --help`.
    import imagesize

    try:
        head = fh.read(10)
        if head[:6] in (b"GIF87a", b"GIF89a") and len(head) == 10:
            # imagesize 2.0 unpacks GIF sizes as signed shorts (32768 px reads as
            # -32768); the logical screen size is two little-endian uint16.
            width, height = struct.unpack("<HH", head[6:10])
            return (int(width), int(height)) if width and height else None
        fh.seek(0)
        width, height = imagesize.get(fh)
    except (ValueError, struct.error, IndexError, OSError):
        return None
    finally:
        fh.seek(0)
    if width <= 0 or height <= 0:
        return None
    return int(width), int(height)


def _is_mp4(mime: str | None, head: bytes) -> bool:
    """MP4/MOV by extension or by the ``ftyp`` box (HEIC/AVIF images have one too)."""
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return False
    return mime in ("video/mp4", "video/quicktime") or head[4:8] == b"ftyp"


def _mp4_facts(fh: BinaryIO, size: int) -> tuple[float | None, int | None, int | None]:
    """(duration_s, width, height) by walking the ISO-BMFF box tree without reading mdat."""
    duration: float | None = None
    dims: tuple[int, int] | None = None
    stack: list[tuple[int, int]] = [(0, size)]
    while stack:
        pos, end = stack.pop()
        while pos + 8 <= end:
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                break
            box_size, kind = struct.unpack(">I4s", header[:8])
            body = pos + 8
            if box_size == 1 and len(header) >= 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
                body = pos + 16
            elif box_size == 0:
                box_size = end - pos
            if box_size < body - pos:
                break  # a corrupt size would loop forever
            box_end = min(pos + box_size, end)
            if kind in _MP4_CONTAINERS:
                stack.append((box_end, end))  # the rest of this level, after the children
                stack.append((body, box_end))
                break
            if kind == b"mvhd":
                fh.seek(body)
                duration = _mvhd_duration(fh.read(32))
            elif kind == b"tkhd" and dims is None:
                fh.seek(body)
                dims = _tkhd_dimensions(fh.read(min(box_end - body, 128)))
            pos = box_end
    width, height = dims if dims else (None, None)
    return duration, width, height


def _mvhd_duration(data: bytes) -> float | None:
    try:
        if data[0] == 1:
            timescale, duration = struct.unpack(">IQ", data[20:32])
        else:
            timescale, duration = struct.unpack(">II", data[12:20])
    except (struct.error, IndexError):
        return None
    return duration / timescale if timescale else None


def _tkhd_dimensions(data: bytes) -> tuple[int, int] | None:
    # Width and height are the last two 16.16 fixed-point fields; audio tracks have 0x0.
    if len(data) < 84:
        return None
    w, h = struct.unpack(">II", data[-8:]) if len(data) in (84, 96) else (0, 0)
    if not w or not h:
        return None
    return w >> 16, h >> 16
