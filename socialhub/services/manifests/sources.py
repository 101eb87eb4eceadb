"""Manifests as named texts: lint them, or read what a caller sent without a file.

``lint`` at the CLI and the REST API's ``/manifests/*`` routes share these. A
text arrives with a name (``calendar/posts.yaml``) that is only a label for
``file:line:column`` messages: it is never opened, so a caller cannot make the
server read one of its files. A text named ``published.yaml`` is a publication
registry, as in a directory applied with ``apply -f``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from socialhub.core.limits import check_size
from socialhub.core.manifests import Issue, Manifest
from socialhub.services.manifests.documents import (
    check_policies,
    check_text_lengths,
    parse_manifests,
)
from socialhub.services.manifests.registry import (
    REGISTRY_FILE,
    Registry,
    load_registry,
    merge_registries,
)

if TYPE_CHECKING:
    from socialhub.config import Settings


@dataclass
class TextSet:
    """Parsed manifests sent as text, the problems found so far and their registry."""

    manifests: list[Manifest]
    issues: list[Issue]
    published: Registry = field(default_factory=dict)


def length_issues(manifests: Sequence[Manifest], settings: Settings | None) -> list[Issue]:
    """Texts over each network's limit, honouring an Account manifest's
    ``settings.max_characters`` (a Mastodon instance's own limit)."""
    limits = {m.name: m.model.spec.settings.get("max_characters")
              for m in manifests if m.kind == "Account"}
    return check_text_lengths(manifests, {k: int(v) for k, v in limits.items() if v},
                              settings=settings)


def read_texts(files: Sequence[tuple[str, str]], *, file_limit: int,
               total_limit: int) -> TextSet:
    """Parse ``(name, text)`` pairs: manifests, and ``published.yaml`` registries.

    Sizes are checked (UTF-8 bytes) before anything is parsed, as for files.

    Raises:
        ValidationError: a text over ``file_limit``, all of them over ``total_limit``,
            or a registry that does not parse.
    """
    sources, published = split_texts(files, file_limit=file_limit, total_limit=total_limit)
    manifests, issues = parse_manifests(sources)
    return TextSet(manifests, issues, published)


def split_texts(files: Sequence[tuple[str, str]], *, file_limit: int, total_limit: int
                ) -> tuple[list[tuple[str, str]], Registry]:
    """``(name, text)`` pairs split into the manifests' (unparsed, for ``apply_sources``)
    and the merged ``published.yaml`` registries; sizes checked as ``read_texts`` does.

    Raises:
        ValidationError: a text over ``file_limit``, all of them over ``total_limit``,
            or a registry that does not parse.
    """
    total = 0
    for name, text in files:
        size = len(text.encode("utf-8", "surrogatepass"))
        check_size(name, size, file_limit)
        total += size
        check_size("the manifests", total, total_limit, what="manifests together")
    registries = [load_registry(text, name) for name, text in files
                  if PurePosixPath(name).name == REGISTRY_FILE]
    sources = [(n, t) for n, t in files if PurePosixPath(n).name != REGISTRY_FILE]
    return sources, merge_registries(*registries)


@dataclass
class LintResult:
    """What ``lint`` found: how many documents, and every issue in file order."""

    documents: int
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        """The issues that fail the lint (a policy's warnings do not)."""
        return [i for i in self.issues if i.severity == "error"]

    def as_dict(self) -> dict[str, Any]:
        """Plain data: ``ok``, ``documents`` and ``issues`` (file, line, column, …)."""
        return {"ok": not self.errors, "documents": self.documents,
                "issues": [{"file": i.file, "line": i.line, "column": i.column,
                            "message": i.message, "severity": i.severity}
                           for i in self.issues]}


def lint_sources(sources: Sequence[tuple[str, str]], *,
                 settings: Settings | None) -> LintResult:
    """Check manifests without a database: syntax, fields, text lengths and the
    set's own ``kind: Policy`` documents. References to records, media files and
    times in the past are left to ``apply``, which sees the database."""
    manifests, issues = parse_manifests(sources)
    issues += length_issues(manifests, settings)
    issues += check_policies(manifests)
    issues.sort(key=lambda i: (i.file, i.line, i.column))
    return LintResult(len(manifests), issues)
