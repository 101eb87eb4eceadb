"""Language tags (BCP 47): checked against the IANA registry, written in standard case.

``langcodes`` (with its registry data) decides what a valid tag is, so ``de``,
``fr-CA`` and ``zh-Hant-TW`` pass and ``xx``, ``english`` or ``de-XY`` do not;
no hand-kept list to fall out of date. Pure: the registry ships with the package.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=512)
def normalize_locale(tag: str) -> str:
    """``fr-ca`` → ``fr-CA``: a registered BCP 47 language tag in standard case.

    Raises:
        ValueError: not a well-formed tag, or a language, script or region the
            registry does not know.
    """
    import langcodes  # deferred: loads its registry data

    text = tag.strip().replace("_", "-")
    if not text or not langcodes.tag_is_valid(text):
        raise ValueError(f"unknown language tag {tag!r} (use BCP 47, e.g. de, fr-CA, pt-BR)")
    try:
        language = langcodes.Language.get(text, normalize=False)
    except (ValueError, LookupError):
        language = None
    if language is None or not language.is_valid():
        raise ValueError(f"unknown language tag {tag!r} (use BCP 47, e.g. de, fr-CA, pt-BR)")
    return str(language.to_tag())


__all__ = ["normalize_locale"]
