"""Skipping unchanged manifest files on apply, without ever hiding a real difference.

After an apply writes, it records for each post that came from a file of posts
only: a digest of that file (its name and text, plus an *environment*: everything
outside the file that planning its posts reads, i.e. the organization's settings,
accounts, voices, campaigns, policies, the link settings, the owning directory and
socialhub's version), how many documents the file held, and a digest of the post
as the database holds it after the apply (its columns and its targets').

The next apply skips a file, unparsed, only when the file's digest is recorded
for exactly as many posts as it held and each of those posts is still, column
for column, what was recorded: an edit in the TUI, a publication, a changed
account or campaign, another directory or another version all make it plan the
file again. Files are never recorded when the outcome could depend on something
the digests do not cover: media files (their contents may change on disk), a
publication registry entry, approvals, a warning, a canceled post, a file that
holds anything but posts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from socialhub import __version__
from socialhub.core.manifests import Manifest, with_experiment_posts
from socialhub.db.queries import manifest_digests as queries
from socialhub.platforms.registry import platform_rules

if TYPE_CHECKING:
    from socialhub.config import Settings

#: Bumped whenever what a digest covers changes (every recorded file is then planned again).
_FORMAT = 1
#: Kinds whose change alters the environment: an apply that changes one plans every file.
ENVIRONMENT_KINDS = frozenset({"Organization", "Account", "VoiceProfile", "Campaign", "Policy"})
_RECORDED_ACTIONS = frozenset({"created", "changed", "rescheduled", "unchanged"})


class Change(Protocol):
    """What this module reads of ``services.manifests.apply.Change``."""

    @property
    def kind(self) -> str:
        """The record's kind."""

    @property
    def name(self) -> str:
        """The record's name."""

    @property
    def action(self) -> str:
        """What the apply did to it."""

    @property
    def warning(self) -> str | None:
        """A warning that rides on the change."""


def environment(session: Session, org_id: int, settings: Settings | None,
                source: str | None) -> str:
    """The digest of everything outside a post's file that planning the post reads."""
    h = hashlib.sha256()
    links = settings.links.model_dump(mode="json") if settings is not None else None
    h.update(repr((_FORMAT, __version__, source, links)).encode())
    h.update(repr(list(platform_rules().items())).encode())  # each network's text rules
    for row in queries.environment_rows(session, org_id):
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def file_digest(environment: str, file: str, text: str) -> str:
    """The digest of one manifest file (its name and text) in ``environment``."""
    return hashlib.sha256(f"{environment}\0{file}\0{text}".encode()).hexdigest()


def _states(rows: Sequence[Sequence[Any]], start: int) -> dict[str, tuple[str, str]]:
    """Each post's state digest and status, from rows of ``post_states`` from ``start``."""
    grouped: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        grouped.setdefault(row[start], []).append(row[start:])
    return {name: (hashlib.sha256(repr([tuple(r) for r in group]).encode()).hexdigest(),
                   group[0][2])
            for name, group in grouped.items()}


def unchanged_files(session: Session, org_id: int, environment: str,
                    sources: Sequence[tuple[str, str]],
                    published: Collection[str]) -> dict[str, list[str]]:
    """The files of ``sources`` an apply may skip, each with the names of its posts.

    ``published`` names the posts a publication registry lists (never skipped).
    """
    digests: dict[str, str | None] = {}
    for file, text in sources:
        digest = file_digest(environment, file, text)
        digests[digest] = None if digest in digests else file  # a file named twice: plan it
    rows = queries.recorded_states(session, org_id, [d for d, f in digests.items() if f])
    by_digest: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        by_digest.setdefault(row[0], []).append(row)
    out: dict[str, list[str]] = {}
    for digest, found in by_digest.items():
        recorded = {row[3]: row[2] for row in found}
        states = _states(found, 3)
        if len(recorded) != found[0][1]:
            continue  # a post of the file was recorded from another file since
        if all(name not in published and status != "canceled" and recorded[name] == state
               for name, (state, status) in states.items()):
            named = digests[digest]
            if named is not None:
                out[named] = list(states)
    return out


def collides(manifests: Sequence[Manifest], skipped: Collection[str]) -> bool:
    """Whether a parsed document (or an experiment's arm) is also a post of a skipped file:
    only planning every file reports that as defined twice."""
    return any(m.kind == "Post" and m.name in skipped for m in with_experiment_posts(manifests))


def record_applied(session: Session, org_id: int, environment: str,
                   manifests: Sequence[Manifest], changes: Sequence[Change],
                   published: Collection[str],
                   approvals: Callable[[str | None], bool]) -> None:
    """Record the posts of every file of ``manifests`` (as parsed, without an
    experiment's arms) that a later apply may skip, once this apply has written.

    ``approvals(campaign name)`` tells whether such a post needs an approval.
    """
    planned = {c.name for c in changes
               if c.kind == "Post" and c.action in _RECORDED_ACTIONS and not c.warning}
    by_file: dict[str, list[Manifest]] = {}
    for m in manifests:
        by_file.setdefault(m.file, []).append(m)
    wanted: dict[str, tuple[str, int]] = {}
    for file, found in by_file.items():
        if all(_recordable(m, planned, published, approvals) for m in found):
            digest = file_digest(environment, file, found[0].doc.source)
            wanted.update({m.name: (digest, len(found)) for m in found})
    if not wanted:
        return
    states = _states(queries.post_states(session, org_id, wanted), 0)
    queries.record_digests(session, org_id, "Post", [
        {"name": name, "digest": digest, "documents": documents, "state": states[name][0]}
        for name, (digest, documents) in wanted.items()
        if name in states and states[name][1] != "canceled"])


def _recordable(m: Manifest, planned: Collection[str], published: Collection[str],
                approvals: Callable[[str | None], bool]) -> bool:
    if m.kind != "Post" or m.name not in planned or m.name in published:
        return False
    return (not approvals(m.model.metadata.campaign)
            and not any(t.media for t in m.model.spec.targets))


def published_names(published: Mapping[str, Any] | None) -> set[str]:
    """The post names a publication registry lists."""
    return set(published or {})
