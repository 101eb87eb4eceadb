"""Files a command writes where its user said (``-o``): whole or not at all, and a
clear one-line error when the place cannot take them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from socialhub.errors import ValidationError


def write_output(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path``: through a partial file beside it that
    is renamed into place, so a reader never sees half a file and a failed write leaves
    any earlier file as it was.

    Raises:
        ValidationError: ``path`` is a folder, its folder does not exist, or the file
            cannot be written (the reason named, e.g. permission denied).
    """
    if path.is_dir():
        raise ValidationError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValidationError(f"cannot write {path}: the folder {path.parent} does not exist",
                              hint="create it first, or choose another -o")
    partial = path.with_name(f".{path.name}.partial")
    raw = data.encode() if isinstance(data, str) else data
    try:
        partial.write_bytes(raw)
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # what it could write of it, if anything
            partial.unlink(missing_ok=True)
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from None


def make_output_folder(path: Path) -> None:
    """Create the folder ``path`` (and its parents) when it is not there yet.

    Raises:
        ValidationError: it cannot be created (a file is in the way, permission denied).
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"cannot create the folder {path}: {exc.strerror or exc}"
                              ) from None
