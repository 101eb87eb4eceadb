"""Reading standard input as bytes, then as UTF-8 text, with one clear error.

Python's own text stdin turns undecodable bytes into lone surrogates that fail
much later ("surrogates not allowed") or raises mid-read; every command that
takes ``-`` reads through here instead, so bad bytes are a validation error
(exit 4) naming the byte, the same as in a file.
"""

from __future__ import annotations

import sys

from socialhub.services.input_limits import check_size, decode_utf8


def read_stdin_bytes(limit: int | None = None) -> bytes:
    """All of stdin as bytes (at most ``limit`` + 1 of them, so the caller can refuse more).

    Raises:
        ValidationError: more than ``limit`` bytes arrived.
    """
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read() if limit is None else buffer.read(limit + 1)
    else:  # a text stream (tests, embedding): its lone surrogates are the bytes it could not decode
        text = sys.stdin.read()
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no decoder made: invalid as UTF-8 anyway
            data = text.encode("utf-8", "surrogatepass")
    if limit is not None:
        check_size("stdin", len(data), limit, what="input")
    return data


def read_stdin_text(limit: int | None = None) -> str:
    """All of stdin as text.

    Raises:
        ValidationError: ``stdin: not valid UTF-8 at byte N``, or over ``limit`` bytes.
    """
    return decode_utf8(read_stdin_bytes(limit), "stdin")
