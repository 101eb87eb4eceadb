"""Render the prompt templates in ``ai/prompts/`` so user text can never become instructions.

Every value a template interpolates passes through ``as_data``: it becomes a
single-line JSON literal in which newlines, quotes, ``<``, ``>``, ``&`` and
every Unicode line separator are escaped. A hostile idea therefore cannot
close its ``<data>`` tag, start a new line, or otherwise change the structure
of the instructions around it; the templates themselves are the only source
of line breaks and tags.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

TASKS = ("system", "generate", "rewrite", "shorten", "repair", "translate")

# Characters that could end a line (str.splitlines) or a tag, escaped as JSON \u.
_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\x85\u2028\u2029"}


def as_data(value: Any) -> str:
    """``value`` as one line of JSON with tag and line-break characters escaped."""
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text.translate(_ESCAPES)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(_load)
    return jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=False, finalize=as_data)


def _load(name: str) -> str:
    return resources.files("socialhub.ai").joinpath("prompts", name).read_text(encoding="utf-8")


def render(task: str, **context: Any) -> str:
    """Render the template for ``task`` with every value quoted as data.

    Raises:
        KeyError: ``task`` has no template.
        jinja2.UndefinedError: the template uses a value not given.
    """
    if task not in TASKS:
        raise KeyError(f"no prompt template for task {task!r}")
    return _environment().get_template(f"{task}.j2").render(**context).strip()
