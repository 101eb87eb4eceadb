"""Media files checked against ``core.media_policy``: at apply time, and before a send.

``resolve_manifest_media`` turns a manifest's media item into what is stored
(an absolute, symlink-free path and the type its bytes show), refusing
anything outside the manifest's folder or ``media.root``. ``check_before_send``
is the publishing side's second look (defence in depth): a stored path that
is relative, goes through a symlink, lies outside ``media.root`` (when one is
configured) or is not allowed media is refused for good, before any upload.
File types are sniffed with ``filetype`` (magic numbers), never taken from
the extension.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import filetype

from socialhub.core.media_policy import (
    SNIFF_BYTES,
    MediaPolicy,
    path_shape_problem,
    type_problem,
    url_problem,
    within,
)
from socialhub.errors import ValidationError
from socialhub.platforms.base import MediaItem
from socialhub.platforms.errors import InvalidContentError


def policy_from_settings(root: str | None, *, manifest_folders: bool = True) -> MediaPolicy:
    """The media policy for a configured ``media.root`` (None: manifest folders only).

    ``manifest_folders=False`` for manifests sent as text: only ``media.root`` then.
    """
    if not root:
        return MediaPolicy(manifest_folders=manifest_folders)
    return MediaPolicy((Path(root).expanduser().resolve(),), manifest_folders)


def sniff(path: Path) -> str | None:
    """The media type ``path``'s first bytes show (None when they match no known type)."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    kind = filetype.guess(head)
    return str(kind.mime) if kind is not None else None


def _regular_file(path: Path, shown: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        raise ValidationError(f"media file {shown} does not exist or cannot be read") from None
    if not stat.S_ISREG(mode):
        raise ValidationError(f"media file {shown} is not a regular file")


def resolve_manifest_media(item: Mapping[str, Any], base: Path | None,
                           policy: MediaPolicy) -> dict[str, Any]:
    """The stored form of one manifest media item whose manifest lives in ``base``.

    A ``path`` is taken relative to ``base`` (an absolute one must lie inside
    ``base`` or a root of ``policy``); after symlinks are followed it must
    still be inside one of them, and be a regular file of an allowed type.
    Without a ``base`` (a manifest sent as text) a relative path is taken in the
    policy's first root, and with no root only URLs are allowed.

    Raises:
        ValidationError: one line saying what is wrong with the item.
    """
    alt = item.get("alt") if item.get("alt") is not None else item.get("alt_text")
    if item.get("url") is not None:
        url = str(item["url"])
        problem = url_problem(url)
        if problem:
            raise ValidationError(problem)
        return {"url": url, **({"alt": alt} if alt is not None else {})}
    raw = str(item.get("path") or "")
    problem = path_shape_problem(raw)
    if problem:
        raise ValidationError(problem)
    roots = (*((base.resolve(),) if base is not None else ()), *policy.roots)
    if not roots:
        raise ValidationError(f"media path {raw!r}: manifests sent as text name media by "
                              "URL, or by a path under media.root (not configured)")
    anchor = base if base is not None else roots[0]
    candidate = Path(raw) if os.path.isabs(raw) else anchor / raw
    allowed = " and ".join((*(["the manifest's folder"] if base is not None else []),
                            *(["media.root"] if policy.roots else [])))
    if not any(within(Path(os.path.abspath(candidate)), root) for root in roots):
        raise ValidationError(f"media path {raw!r} is outside {allowed}")
    _regular_file(candidate, repr(raw))
    real = candidate.resolve()
    if not any(within(real, root) for root in roots):
        raise ValidationError(f"media path {raw!r} is a symlink to a file outside {allowed}")
    mime = sniff(real)
    problem = type_problem(mime, f"media file {raw!r}")
    if problem:
        raise ValidationError(problem)
    return {"path": str(real), "mime": mime, **({"alt": alt} if alt is not None else {})}


def check_before_send(media: Iterable[MediaItem], policy: MediaPolicy) -> None:
    """Refuse a send whose media file is not safe to upload, before anything is read for it.

    Raises:
        InvalidContentError: a permanent refusal naming the file and the rule it breaks.
    """
    for item in media:
        if item.path is None:
            continue
        path, shown = item.path, str(item.path)
        if not path.is_absolute():
            raise InvalidContentError(f"media file {shown} is a relative path; apply the "
                                      "manifest again so it is checked and stored whole")
        real = Path(os.path.realpath(path))
        if real != Path(os.path.abspath(path)):
            raise InvalidContentError(f"media file {shown} goes through a symlink; refusing "
                                      "to upload it")
        if policy.roots and not any(within(real, root) for root in policy.roots):
            raise InvalidContentError(f"media file {shown} is outside media.root; refusing "
                                      "to upload it")
        try:
            _regular_file(real, shown)
            problem = type_problem(sniff(real), f"media file {shown}")
        except (ValidationError, OSError) as exc:
            raise InvalidContentError(str(exc) if isinstance(exc, ValidationError) else
                                      f"media file {shown} cannot be read") from None
        if problem:
            raise InvalidContentError(f"{problem}; refusing to upload it")


__all__ = ["check_before_send", "policy_from_settings", "resolve_manifest_media", "sniff"]
