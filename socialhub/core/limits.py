"""Size limits on input, and decoding bytes people hand us as UTF-8 text.

Pure: the callers read files and stdin; these functions only judge what was
read. Every limit is far above real use (a 1,500-post manifest is about 600 kB;
the longest platform text is YouTube's 5,000-character description) and each
is listed in docs/security.md. The manifest limits can be changed in the
config's ``limits:`` section; the text limit is fixed.
"""

from __future__ import annotations

import codecs

from socialhub.errors import ValidationError

#: Largest manifest file (and the stdin of ``apply -f -`` / ``lint -``), in bytes.
MANIFEST_FILE_BYTES = 5_000_000
#: Largest total of all manifest files in one ``apply``/``lint``, in bytes.
MANIFEST_TOTAL_BYTES = 50_000_000
#: Longest post body, target text, thread part or first comment, in characters.
TEXT_CHARS = 100_000

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
               codecs.BOM_UTF32_BE)


def decode_utf8(data: bytes, source: str) -> str:
    """``data`` as text (a UTF-8 byte-order mark is dropped).

    Raises:
        ValidationError: ``source: not valid UTF-8 at byte N`` (UTF-16/32 named as such).
    """
    if data.startswith(_UTF16_BOMS):
        raise ValidationError(f"{source}: text is UTF-16 or UTF-32, not UTF-8 "
                              "(save it as UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{source}: not valid UTF-8 at byte {exc.start}") from None


def check_size(source: str, size: int, limit: int, *, what: str = "file") -> None:
    """Refuse ``size`` bytes over ``limit`` before anything is parsed.

    Raises:
        ValidationError: ``source: file is N bytes, over the limit of M bytes (config key)``.
    """
    if size > limit:
        raise ValidationError(f"{source}: {what} is {size:,} bytes, over the limit of "
                              f"{limit:,} bytes", hint=_HINTS.get(what))


_HINTS = {"file": "limits.manifest_file_bytes in the config",
          "manifests together": "limits.manifest_total_bytes in the config"}


def check_text_size(text: str, what: str, limit: int = TEXT_CHARS) -> None:
    """Refuse a text longer than ``limit`` characters (bodies, variants, comments).

    Raises:
        ValidationError: ``WHAT is N characters, over the limit of M``.
    """
    if len(text) > limit:
        raise ValidationError(f"{what} is {len(text):,} characters, over the limit of "
                              f"{limit:,}")


__all__ = ["MANIFEST_FILE_BYTES", "MANIFEST_TOTAL_BYTES", "TEXT_CHARS", "check_size",
           "check_text_size", "decode_utf8"]
