"""Parsing, checking and writing manifest documents, for ``apply``, ``lint`` and ``export``.

A thin door onto ``core.manifests`` (pure; it imports pydantic and YAML, so
import this module inside a command, not at CLI start-up), with the networks
of the platform registry: core takes them as an argument, since it cannot
import ``platforms/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from socialhub.core import manifests as core
from socialhub.core.manifest_policies import check_post_policies
from socialhub.core.manifests import KINDS, PEOPLE_KINDS, Issue, Manifest, Progress, dump_documents
from socialhub.platforms.registry import platform_rules

__all__ = ["DEFAULT_EXPORT_KINDS", "KINDS", "Issue", "Progress", "check_policies",
           "check_text_lengths", "dump_documents", "parse_manifests"]

#: What ``export`` writes without ``--kind``: every kind but the people and settings ones.
DEFAULT_EXPORT_KINDS = tuple(k for k in KINDS if k not in PEOPLE_KINDS)


def parse_manifests(sources: Iterable[tuple[str, str]], *, progress: Progress | None = None
                    ) -> tuple[list[Manifest], list[Issue]]:
    """``core.manifests.parse_manifests`` with every registered network known."""
    return core.parse_manifests(sources, platforms=platform_rules(), progress=progress)


def check_text_lengths(manifests: Iterable[Manifest],
                       limits: Mapping[str, int | None] | None = None) -> list[Issue]:
    """``core.manifests.check_text_lengths`` with each network's rules from the registry."""
    return core.check_text_lengths(manifests, limits, platforms=platform_rules())


def check_policies(manifests: Sequence[Manifest]) -> list[Issue]:
    """The set's posts against the set's ``Policy`` documents (no database: ``lint``);
    each issue carries its severity (only ``error`` fails)."""
    return [issue for _post, issue in check_post_policies(manifests)]
