"""Sync the calendar from a git repository: fetch, verify, lint, apply with prune.

``sync_git`` is what ``socialhub sync git run`` and the daemon's ``git_sync``
job call. It fetches the configured branch into a cache under the data
directory (``services.gitsync.git``), optionally requires a trusted signature,
writes the manifest folder of the fetched commit to a stable folder and
applies it with prune, owned by the repository's source key and labelled
with the commit, in ONE transaction (``apply_commit``). Anything wrong —
unreachable remote, unsigned commit, a manifest that does not lint or apply —
leaves the database as it was and raises one ``sync.failed`` alert (an event
and a log line) per distinct problem, not one per attempt.

Two syncs of one repository never apply twice: on one machine a file lock
serialises them; across machines the sync state row is locked for the
transaction (``db.queries.gitsync.lock_sync``) and the second sees the commit
already applied. A force-push is just a new commit to plan: the plan is made
from the new tree against the database, and what already went out cannot go
out again (a published target cannot change; a pruned published post is kept).
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from socialhub.config import GitSyncConfig
from socialhub.core.policy import Permission
from socialhub.db.queries import gitsync as queries
from socialhub.errors import ConfigError, SocialhubError
from socialhub.security.references import resolve_reference
from socialhub.services.clock import now_utc
from socialhub.services.context import Actor, Channel, Ctx, use_case
from socialhub.services.events import Event, publish
from socialhub.services.gitsync.git import Repository, cache_key
from socialhub.services.hub import Hub
from socialhub.services.manifests.apply import (
    Change,
    ManifestError,
    Owner,
    apply_sources,
    read_sources,
)
from socialhub.services.manifests.registry import (
    REGISTRY_FILE,
    Registry,
    load_registry,
    merge_registries,
    read_registries,
)
from socialhub.services.manifests.sources import length_issues
from socialhub.services.teams.acting import git_sync_actor

log = logging.getLogger("socialhub.gitsync")

SYNC_FAILED = "sync.failed"
SYNC_APPLIED = "sync.applied"


@dataclass
class SyncResult:
    """How one sync ended: ``applied``, ``up_to_date`` or ``failed``."""

    source: str
    status: str
    commit: str | None = None
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    issues: list[str] = field(default_factory=list)
    alerted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json and the daemon's job record."""
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.action] = counts.get(c.action, 0) + 1
        return {"source": self.source, "status": self.status, "commit": self.commit,
                "summary": counts, "changes": [c.as_dict() for c in self.changes],
                "error": self.error, "issues": self.issues}


def source_of(cfg: GitSyncConfig) -> str:
    """The key that labels what this repository owns: ``sync.git.source`` or
    ``git:URL#BRANCH:PATH``."""
    return cfg.source or f"git:{cfg.url}#{cfg.branch}:{cfg.path}"


def git_config(hub: Hub) -> GitSyncConfig:
    """The ``sync.git`` section.

    Raises:
        ConfigError: there is none.
    """
    cfg = hub.config.settings.sync.git
    if cfg is None:
        raise ConfigError("no repository to sync: set sync.git.url in the config "
                          "(see docs/ci.md)")
    return cfg


def cache_dir(hub: Hub, cfg: GitSyncConfig) -> Path:
    """The folder holding this repository's cache, tree and lock, under the data dir."""
    return hub.config.paths.data_dir / "git" / cache_key(cfg.url, cfg.branch)


def repository(hub: Hub, cfg: GitSyncConfig) -> Repository:
    """The cache repository for ``cfg``, with its token resolved from its reference.

    Raises:
        ConfigError: the credentials reference cannot be resolved.
    """
    token = (resolve_reference(hub.config, cfg.credentials, what="sync.git.credentials")
             if cfg.credentials else None)
    return Repository(cache_dir(hub, cfg) / "repo.git", cfg.url, token=token)


def registry_path(cfg: GitSyncConfig) -> str:
    """Where ``published.yaml`` lives in the repository: in the synced folder."""
    folder = cfg.path.strip("/")
    return REGISTRY_FILE if folder in ("", ".") else f"{folder}/{REGISTRY_FILE}"


def remote_registry(repo: Repository, cfg: GitSyncConfig) -> tuple[str | None, Registry]:
    """The registry branch's commit (None if it does not exist yet) and its registry.

    Raises:
        GitError: the remote cannot be reached.
        ValidationError: the file there is not a publication registry.
    """
    head = repo.fetch_optional(cfg.registry_branch)
    if head is None:
        return None, {}
    path = registry_path(cfg)
    data = repo.show(head, path)
    return head, load_registry(data.decode("utf-8") if data else "",
                               f"{cfg.registry_branch}:{path}")


@contextmanager
def machine_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/lock`` (waits): one sync per repository on
    this machine, since they share the cache and the tree folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def system_actor(channel: Channel) -> Actor | None:
    """The daemon applies a repository as the ``git-sync`` system actor; a person
    running ``sync git run`` acts as themselves."""
    return git_sync_actor() if channel == "daemon" else None


def sync_git(hub: Hub, *, channel: Channel = "cli", now: datetime | None = None
             ) -> SyncResult:
    """Fetch the configured repository and apply its newest commit, once.

    Never raises for a problem with the repository or its manifests: the result
    says ``failed``, the database is as it was, and the problem was alerted
    (``sync.failed``) unless the same problem was already alerted.

    Raises:
        ConfigError: no ``sync.git`` section, or its credentials cannot be resolved.
    """
    cfg = git_config(hub)
    source = source_of(cfg)
    repo = repository(hub, cfg)
    folder = cache_dir(hub, cfg)
    with machine_lock(folder):
        commit: str | None = None
        try:
            commit = repo.fetch(cfg.branch)
            if cfg.require_signed:
                repo.verify(commit)
            _, published = remote_registry(repo, cfg)
            staging = folder / "staging"
            repo.extract(commit, cfg.path, staging)
        except SocialhubError as exc:  # git, or a registry that is not one
            return _failed(hub, channel, source, commit, exc.message)
        try:
            with hub.context(channel, system=system_actor(channel)) as ctx:
                return apply_commit(ctx, source=source, commit=commit, folder=folder,
                                    path=cfg.path, now=now or now_utc(), published=published,
                                    file_limit=hub.config.settings.limits.manifest_file_bytes,
                                    total_limit=hub.config.settings.limits.manifest_total_bytes)
        except ManifestError as exc:
            issues = [_relative(str(i), folder) for i in exc.issues]
            return _failed(hub, channel, source, commit,
                           f"commit {commit[:12]}: {exc.message}", issues)
        except SocialhubError as exc:
            return _failed(hub, channel, source, commit,
                           f"commit {commit[:12]}: {_relative(exc.message, folder)}")


def _relative(text: str, folder: Path) -> str:
    """``text`` with the local tree folder taken out of file names, as the repository
    names them."""
    return text.replace(f"{folder / 'tree'}/", "")


@use_case(Permission.MANIFESTS_APPLY)
def apply_commit(ctx: Ctx, *, source: str, commit: str, folder: Path, path: str,
                 now: datetime, file_limit: int, total_limit: int,
                 published: Registry | None = None) -> SyncResult:
    """Apply the manifests of ``commit`` (written to ``folder/staging``) with prune,
    unless it is the commit last applied; in the caller's one transaction.

    The staged tree becomes ``folder/tree`` (media paths point there); if
    anything fails the previous tree is put back and the transaction rolls
    back. Every record written is labelled with ``source`` and ``commit``, and
    the audit events name the commit. What ``published`` (the registry branch's
    ``published.yaml``) or a ``published.yaml`` in the tree lists is never sent again.

    Raises:
        ManifestError: the manifests do not lint or apply; nothing was written.
    """
    session = ctx.session
    queries.lock_sync(session, source)
    state = queries.sync_state(session, ctx.org_id, source)
    if state.commit == commit and state.status == "ok":
        return SyncResult(source, "up_to_date", commit)
    tree, staging, previous = folder / "tree", folder / "staging", folder / "tree.previous"
    if previous.exists():
        shutil.rmtree(previous)
    if tree.exists():
        tree.rename(previous)
    staging.rename(tree)
    try:
        root = tree if path in ("", ".") else tree / path
        sources = read_sources([root], file_limit=file_limit, total_limit=total_limit)
        registry = merge_registries(published or {}, read_registries([root]))
        # Files nothing has changed for since the last sync are neither parsed nor planned.
        settings = ctx.settings
        changes = apply_sources(ctx, sources, now=now, owner=Owner(source, commit),
                                prune=True, published=registry,
                                checks=lambda manifests: length_issues(manifests, settings))
    except BaseException:
        shutil.rmtree(tree, ignore_errors=True)
        if previous.exists():
            previous.rename(tree)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    state.commit, state.status, state.error, state.synced_at = commit, "ok", None, now
    written = [c for c in changes if c.action not in ("unchanged",)]
    publish(session, Event(SYNC_APPLIED, org_id=ctx.org_id, subject=source,
                           data={"source": source, "commit": commit,
                                 "changes": len(written)},
                           actor=ctx.actor.name,
                           channel=ctx.channel))
    log.info("git sync applied %s at %s: %d changes", source, commit[:12], len(written),
             extra={"event": SYNC_APPLIED})
    for c in changes:
        if c.warning:
            log.warning("git sync %s: %s", source, c.warning, extra={"event": "sync.warning"})
    return SyncResult(source, "applied", commit, changes)


def _failed(hub: Hub, channel: Channel, source: str, commit: str | None, error: str,
            issues: list[str] | None = None) -> SyncResult:
    with hub.context(channel, system=system_actor(channel)) as ctx:
        alerted = record_sync_failure(ctx, source=source, commit=commit, error=error,
                                      issues=issues or [])
    return SyncResult(source, "failed", commit, error=error, issues=issues or [],
                      alerted=alerted)


@use_case(Permission.MANIFESTS_APPLY)
def record_sync_failure(ctx: Ctx, *, source: str, commit: str | None, error: str,
                        issues: list[str]) -> bool:
    """Record that syncing ``source`` failed, and alert once per distinct problem.

    The alert is a ``sync.failed`` event (after commit: webhooks) and a log line;
    the same error again (the next attempt at the same broken commit, the same
    unreachable remote) is recorded without a new alert. Returns whether it alerted.
    """
    session = ctx.session
    queries.lock_sync(session, source)
    state = queries.sync_state(session, ctx.org_id, source)
    if state.status == "failed" and state.error == error:
        return False
    state.status, state.error = "failed", error
    publish(session, Event(SYNC_FAILED, org_id=ctx.org_id, subject=source,
                           data={"source": source, "commit": commit, "error": error,
                                 "issues": list(issues[:50])},
                           actor=ctx.actor.name,
                           channel=ctx.channel))
    log.error("git sync of %s failed: %s", source, error, extra={"event": SYNC_FAILED})
    return True


@use_case(Permission.MANIFESTS_EXPORT)
def sync_status(ctx: Ctx) -> list[dict[str, Any]]:
    """Every repository the organization syncs from: last commit applied, status, error."""
    return [{"source": s.source, "commit": s.commit, "status": s.status, "error": s.error,
             "synced_at": s.synced_at} for s in queries.sync_states(ctx.session, ctx.org_id)]
