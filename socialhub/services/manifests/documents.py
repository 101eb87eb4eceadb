"""Parsing, checking and writing manifest documents, for ``apply``, ``lint`` and ``export``.

A thin door onto ``core.manifests`` (pure; it imports pydantic and YAML, so
import this module inside a command, not at CLI start-up), with the networks
of the platform registry: core takes them as an argument, since it cannot
import ``platforms/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from socialhub.core import manifests as core
from socialhub.core.manifest_policies import check_post_policies
from socialhub.core.manifests import KINDS, PEOPLE_KINDS, Issue, Manifest, Progress, dump_documents
from socialhub.platforms.registry import platform_rules
from socialhub.services.links.style import sent_text

if TYPE_CHECKING:
    from socialhub.config import Settings

__all__ = ["DEFAULT_EXPORT_KINDS", "KINDS", "Issue", "Progress", "check_policies",
           "check_text_lengths", "dump_documents", "parse_manifests"]

#: What ``export`` writes without ``--kind``: every kind but the people and settings ones.
DEFAULT_EXPORT_KINDS = tuple(k for k in KINDS if k not in PEOPLE_KINDS)


def parse_manifests(sources: Iterable[tuple[str, str]], *, progress: Progress | None = None
                    ) -> tuple[list[Manifest], list[Issue]]:
    """``core.manifests.parse_manifests`` with every registered network known."""
    return core.parse_manifests(sources, platforms=platform_rules(), progress=progress)


def check_text_lengths(manifests: Iterable[Manifest],
                       limits: Mapping[str, int | None] | None = None, *,
                       settings: Settings | None = None) -> list[Issue]:
    """``core.manifests.check_text_lengths`` with each network's rules from the registry.

    With ``settings``, texts are measured with their links as they will be sent:
    tagged by their campaign's template (a Campaign among ``manifests``, else
    ``links.utm``) or shortened (``links.shorten``).
    """
    manifests = list(manifests)
    if settings is None:
        return core.check_text_lengths(manifests, limits, platforms=platform_rules())
    config = settings
    utm = {m.name: m.model.spec.utm for m in manifests if m.kind == "Campaign"}

    def sent(m: Manifest, ref: str) -> Callable[[str], str]:
        platform, _, handle = ref.partition(":")
        campaign = m.model.metadata.campaign
        return sent_text(config, campaign=campaign, campaign_utm=utm.get(campaign or ""),
                         post=m.name, platform=platform, handle=handle.lstrip("@"))

    return core.check_text_lengths(manifests, limits, platforms=platform_rules(), sent=sent)


def check_policies(manifests: Sequence[Manifest]) -> list[Issue]:
    """The set's posts against the set's ``Policy`` documents (no database: ``lint``);
    each issue carries its severity (only ``error`` fails)."""
    return [issue for _post, issue in check_post_policies(manifests)]
