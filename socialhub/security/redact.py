"""Masking of anything that looks like a secret, for logs and error messages.

Two nets: patterns for the shapes secrets usually have (bearer tokens, JWTs,
API keys, ``access_token=…``, JSON token fields), and the exact values the
program knows are secret, registered with :func:`register_secret` (the
credentials service registers every token it stores or decrypts). Exact values
are masked last and repeatedly, so no registered secret survives in the output
whatever text surrounds it.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words

_NAMES = (
    r"access_?token|refresh_?token|id_?token|access_?jwt|refresh_?jwt|client_?secret|"
    r"app_?password|password|passwd|api_?key|secret_?key|private_?key|session_?key|"
    r"code_?verifier|x-api-key"
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # "accessJwt": "…", 'password': '…' — keep the JSON/repr shape, mask the value.
    (re.compile(rf"""(["'])((?i:{_NAMES}))\1(\s*:\s*)(["'])(?:\\.|(?!\4).)*\4"""),
     rf"\1\2\1\3\4{MASK}\4"),
    # password='…', access_token="…" (Python reprs, shell lines).
    (re.compile(rf"""\b((?i:{_NAMES}))(\s*=\s*)(["'])(?:\\.|(?!\3).)*\3"""),
     rf"\1\2\3{MASK}\3"),
    # Authorization: Bearer …, Authorization: Basic …, Authorization: token …
    (re.compile(r"""\b((?i:(?:proxy-)?authorization)["']?\s*[:=]\s*["']?(?:[A-Za-z-]+\s+)?)"""
                r"(?!\[REDACTED\])[A-Za-z0-9\-._~+/]+=*"),
     rf"\1{MASK}"),
    # A bearer token anywhere else (curl lines, exception text).
    (re.compile(r"\b((?i:bearer)\s+)(?!\[REDACTED\])[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1{MASK}"),
    # access_token=…&  password: …  (query strings, form bodies, YAML-ish lines).
    (re.compile(rf"""\b((?i:{_NAMES}))(=|:[ \t]*)(?![\["'\s])[^\s&"',;}}<>]+"""),
     rf"\1\2{MASK}"),
    # JSON Web Tokens (Bluesky accessJwt/refreshJwt, OIDC id tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # Provider API keys: Anthropic, OpenAI-style, GitHub, Slack, AWS access key ids.
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), MASK),
    (re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}"), MASK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK),
]

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None


def _is_maskable(value: str) -> bool:
    if len(value) < MIN_SECRET_LENGTH:
        return False
    # A value made only of mask text could never be masked away; it is not a secret anyway.
    return value not in MASK * (len(value) // len(MASK) + 2)


def register_secret(value: str | None) -> None:
    """Mask every later occurrence of ``value`` in :func:`redact` output (process-wide).

    Values shorter than 8 characters are ignored: they are not real tokens,
    and masking them would mangle ordinary text.
    """
    global _secret_re
    if not value or not _is_maskable(value):
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        _secret_re = None


def clear_registered_secrets() -> None:
    """Forget every registered secret (for tests and long-lived processes that reset)."""
    global _secret_re
    with _lock:
        _secrets.clear()
        _secret_re = None


def _registered_pattern() -> re.Pattern[str] | None:
    global _secret_re
    with _lock:
        if _secret_re is None and _secrets:
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(_secrets, key=len, reverse=True)
            _secret_re = re.compile("|".join(re.escape(s) for s in ordered))
        return _secret_re


def redact(text: str) -> str:
    """Return ``text`` with secret-looking substrings and registered secrets masked."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    registered = _registered_pattern()
    if registered is not None:
        # Masking can join a mask and neighbouring text into a new occurrence
        # (a secret starting with "]"); repeat until none is left. Each pass
        # consumes at least one character that is not mask text, so it ends.
        for _ in range(len(text) + 1):
            if registered.search(text) is None:
                break
            text = registered.sub(MASK, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


#: Field names whose values are secret whatever they look like (audit rows, exports).
SECRET_FIELD = re.compile(
    r"token|secret|passw|credential|api_?key|private_?key|session_?key|passphrase|"
    r"code_?verifier|authorization|cookie|_enc$", re.I)


def redact_fields(value: Any, *, text: Callable[[str], str] | None = None) -> Any:
    """``value`` with every entry under a secret field name (``SECRET_FIELD``: tokens,
    passwords, credentials, keys…) replaced by the mask, at any depth, and every
    registered secret (:func:`register_secret`) masked inside other strings; then
    ``text``, if given, applied to each string left (in the same walk). A new object;
    ``value`` is left alone.

    Free text is not run through the secret-*shape* patterns of :func:`redact`: records
    hold people's own words (a post may say ``password: …``), and an apply of
    thousands of posts cannot afford a dozen regular expressions per field."""
    return _mask_fields(value, _registered_pattern(), text)


@functools.lru_cache(maxsize=4096)
def _is_secret_field(name: str) -> bool:
    # Field names repeat endlessly (before, after, body): decide each once.
    return SECRET_FIELD.search(name) is not None


def _mask_fields(value: Any, registered: re.Pattern[str] | None,
                 text: Callable[[str], str] | None) -> Any:
    if isinstance(value, str):
        if registered is not None and registered.search(value):
            value = registered.sub(MASK, value)
        return value if text is None else text(value)
    if isinstance(value, dict):
        return {k: MASK if v is not None and isinstance(k, str) and _is_secret_field(k)
                else _mask_fields(v, registered, text) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_fields(v, registered, text) for v in value]
    return value


_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName"}


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record.

    The message is rendered with its arguments and then redacted (an
    argument's ``str()`` may hold a token), string extra fields are redacted,
    and an exception's traceback is formatted and redacted into
    ``record.exc_text`` (``exc_info`` is cleared so no formatter renders the
    raw exception again).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                record.__dict__[key] = _redact_value(value)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
