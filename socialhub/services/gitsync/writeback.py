"""Write back what went out: the publication registry committed to the repository.

After posts are published, ``write_back`` merges the remote ids and URLs of
the posts the repository owns into ``published.yaml`` (in the synced folder)
on the branch ``sync.git.registry_branch``, commits it with the configured
author and pushes. The push never forces: when another writer moved the
branch meanwhile, it fetches again, merges the registries (entries already
there are kept as they are, ours are added) and tries again, so no entry is
ever lost. Nothing is checked out; the cache's bare repository is used.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from socialhub.config import GitSyncConfig
from socialhub.core.policy import Permission
from socialhub.db.queries import gitsync as queries
from socialhub.errors import GitError, SocialhubError
from socialhub.services.context import Channel, Ctx, use_case
from socialhub.services.events import Event, publish
from socialhub.services.gitsync.sync import (
    cache_dir,
    git_config,
    machine_lock,
    registry_path,
    remote_registry,
    repository,
    source_of,
    system_actor,
)
from socialhub.services.hub import Hub
from socialhub.services.manifests.export import export_registry
from socialhub.services.manifests.registry import dump_registry, merge_registries

log = logging.getLogger("socialhub.gitsync")

WRITEBACK_FAILED = "sync.writeback_failed"
ATTEMPTS = 5
_AUTHOR_RE = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>\s]+)>\s*$")


@dataclass
class WriteBack:
    """How a write-back ended: ``written`` (a commit pushed), ``up_to_date`` or ``failed``."""

    status: str
    commit: str | None = None
    added: int = 0
    attempts: int = 0
    error: str | None = None


def author_of(cfg: GitSyncConfig) -> tuple[str, str]:
    """``sync.git.author`` (``Name <email>``) as (name, email)."""
    m = _AUTHOR_RE.match(cfg.author)
    if m is None:
        return cfg.author.strip() or "socialhub", "socialhub@localhost"
    return m["name"], m["email"]


def write_back(hub: Hub, *, channel: Channel = "daemon",
               before_push: Callable[[int], None] | None = None) -> WriteBack:
    """Commit and push the registry of what the repository's posts published, if new.

    ``before_push(attempt)`` is called before each push (the tests make a competing
    push there). Never raises for a problem with the remote: the result says
    ``failed`` and one ``sync.writeback_failed`` alert is raised per distinct problem.

    Raises:
        ConfigError: no ``sync.git`` section, or its credentials cannot be resolved.
    """
    cfg = git_config(hub)
    source = source_of(cfg)
    with hub.context(channel, system=system_actor(channel)) as ctx:
        ours = export_registry(ctx, source)
    if not ours:
        return WriteBack("up_to_date")
    repo = repository(hub, cfg)
    path = registry_path(cfg)
    try:
        with machine_lock(cache_dir(hub, cfg)):
            for attempt in range(1, ATTEMPTS + 1):
                head, theirs = remote_registry(repo, cfg)
                merged = merge_registries(theirs, ours)
                if merged == theirs:
                    result = WriteBack("up_to_date", head, 0, attempt)
                    break
                added = sum(len(t) for t in merged.values()) - sum(
                    len(t) for t in theirs.values())
                commit = repo.commit_file(
                    head, path, dump_registry(merged).encode(),
                    message=f"socialhub: {added} published target{'s' if added != 1 else ''} "
                            f"in {path}", author=author_of(cfg))
                if before_push is not None:
                    before_push(attempt)
                if repo.push(commit, cfg.registry_branch):
                    log.info("wrote %d published targets to %s:%s (%s)", added,
                             cfg.registry_branch, path, commit[:12],
                             extra={"event": "sync.written_back"})
                    result = WriteBack("written", commit, added, attempt)
                    break
            else:
                raise GitError(f"the branch {cfg.registry_branch} kept moving: gave up after "
                               f"{ATTEMPTS} attempts to push {path}")
    except SocialhubError as exc:
        with hub.context(channel, system=system_actor(channel)) as ctx:
            record_writeback(ctx, source=source, commit=None, error=exc.message)
        return WriteBack("failed", error=exc.message)
    with hub.context(channel, system=system_actor(channel)) as ctx:
        record_writeback(ctx, source=source, commit=result.commit, error=None)
    return result


@use_case(Permission.MANIFESTS_APPLY)
def record_writeback(ctx: Ctx, *, source: str, commit: str | None,
                     error: str | None) -> bool:
    """Record how writing the registry back ended; alert (``sync.writeback_failed``
    and a log line) once per distinct error. Returns whether it alerted."""
    state = queries.sync_state(ctx.session, ctx.org_id, source)
    if error is None:
        state.registry_error = None
        if commit is not None:
            state.registry_commit = commit
        return False
    if state.registry_error == error:
        return False
    state.registry_error = error
    publish(ctx.session, Event(WRITEBACK_FAILED, org_id=ctx.org_id, subject=source,
                               data={"source": source, "error": error},
                               actor=ctx.actor.name, channel=ctx.channel))
    log.error("writing the publication registry of %s back failed: %s", source, error,
              extra={"event": WRITEBACK_FAILED})
    return True
