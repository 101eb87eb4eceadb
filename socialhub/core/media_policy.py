"""Which media files a manifest may name, as pure rules (no file is opened here).

A manifest can come from anyone who can open a pull request against a
calendar repository, and the daemon uploads what it names, so a media path
is confined: relative to the manifest's folder (or inside the configured
``media.root``), never through ``..``, and the file must *be* an image or a
video the platforms accept, judged by its bytes. ``services.authoring.media_check``
applies these rules to real files at apply time and again before a send.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

#: Media types the platforms accept, as sniffed from a file's first bytes.
ALLOWED_MIME_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif",
    "video/mp4", "video/quicktime", "video/webm", "video/x-m4v",
})
#: How many bytes of a file are read to tell its type.
SNIFF_BYTES = 8192
URL_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class MediaPolicy:
    """Where media may live besides a manifest's own folder (``media.root`` in the config).

    ``manifest_folders`` is False for manifests that arrive as text (the REST API):
    they have no folder on this machine, so their media are URLs or lie under a root.
    """

    roots: tuple[Path, ...] = ()
    manifest_folders: bool = True


def path_shape_problem(raw: str) -> str | None:
    """What is wrong with a media path as written (None when its shape is fine).

    Refused: empty, a NUL byte, ``~`` (the daemon's home is not the author's),
    and any ``..`` component (a path must not climb out of its folder).
    """
    if not raw.strip():
        return "media path is empty"
    if "\0" in raw:
        return "media path contains a NUL byte"
    if raw.startswith("~"):
        return f"media path {raw!r} starts with '~'; give it relative to the manifest"
    parts = set(PurePosixPath(raw).parts) | set(PureWindowsPath(raw).parts)
    if ".." in parts:
        return f"media path {raw!r} contains '..'; media must stay inside the manifest's " \
               "folder or media.root"
    return None


def url_problem(raw: str) -> str | None:
    """What is wrong with a media URL (None when it is an http(s) URL)."""
    if not raw.lower().startswith(URL_SCHEMES):
        return f"media url {raw!r} must start with https:// or http://"
    return None


def within(path: Path, root: Path) -> bool:
    """True when ``path`` is ``root`` or below it (both already resolved)."""
    return path == root or root in path.parents


def type_problem(mime: str | None, name: str) -> str | None:
    """What is wrong with a file whose bytes say ``mime`` (None when it is allowed media)."""
    if mime is None:
        return f"{name} is not an image or video socialhub can post (its content matches " \
               "no known media type)"
    if mime not in ALLOWED_MIME_TYPES:
        return f"{name} is {mime}, not an image or video socialhub can post"
    return None


__all__ = ["ALLOWED_MIME_TYPES", "SNIFF_BYTES", "MediaPolicy", "path_shape_problem",
           "type_problem", "url_problem", "within"]
