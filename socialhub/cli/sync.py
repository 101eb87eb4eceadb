"""``socialhub sync``: keep the calendar in step with a git repository (docs/ci.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, warn
from socialhub.errors import ExitCode

app = typer.Typer(help="Apply the calendar from a git repository (config sync.git).",
                  no_args_is_help=True)
git_app = typer.Typer(help="The repository in sync.git: apply it once, or show its state.",
                      no_args_is_help=True)
app.add_typer(git_app, name="git")


@git_app.command("run")
def run(
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="List every record and what happened to it.")] = False,
    json_: JsonOption = False,
) -> None:
    """Fetch sync.git's branch and apply it with prune, once.

    The commit is fetched into a cache under the data directory, its
    signature checked when sync.git.require_signed is true, and the folder
    sync.git.path applied as `apply --prune` would, in one transaction: every
    record written names the commit, in the record and in the audit trail.
    A commit already applied is not applied again. If the remote cannot be
    reached, the commit is not trusted or a manifest is wrong, nothing is
    changed, the problem is printed and a `sync.failed` event raised (once
    per problem), and the exit code is 14 (git) or 4 (manifests).

    Then what the repository's posts published (remote ids and URLs) is
    merged into published.yaml on sync.git.registry_branch, committed as
    sync.git.author and pushed (never forced; retried when the branch moved).

    Example: socialhub sync git run -v
    """
    from socialhub.services.gitsync.sync import sync_git
    from socialhub.services.gitsync.writeback import write_back

    result = sync_git(get_hub(), channel="cli")
    back = write_back(get_hub(), channel="cli")
    if json_:
        emit_json({**result.as_dict(), "registry": {
            "status": back.status, "commit": back.commit, "added": back.added,
            "error": back.error}})
    else:
        for c in result.changes:
            if verbose or c.action != "unchanged":
                detail = f" ({', '.join(c.fields)})" if c.fields else ""
                sys.stdout.write(f"{c.label} {c.action}{detail}\n")
    for issue in result.issues:
        sys.stderr.write(f"{issue}\n")
    for c in result.changes:
        if c.warning:
            warn(c.warning)
    short = (result.commit or "")[:12]
    if back.status == "written":
        info(f"wrote {back.added} published target{'s' if back.added != 1 else ''} to the "
             f"registry ({(back.commit or '')[:12]})")
    if result.status == "failed":
        sys.stderr.write(f"error: {result.error}\n")
        raise typer.Exit(ExitCode.VALIDATION if result.issues else ExitCode.GIT)
    if result.status == "up_to_date":
        info(f"{result.source} is up to date at {short}")
    if result.status == "applied":
        written = sum(1 for c in result.changes if c.action != "unchanged")
        info(f"applied {result.source} at {short}: "
             f"{written} change{'s' if written != 1 else ''}")
    if back.status == "failed":
        sys.stderr.write(f"error: writing the registry back: {back.error}\n")
        raise typer.Exit(ExitCode.GIT)


@git_app.command("status")
def status(json_: JsonOption = False) -> None:
    """Show each synced repository's last commit and error.

    Example: socialhub sync git status
    """
    from socialhub.services.gitsync.sync import sync_status

    with get_hub().context("cli") as ctx:
        rows = sync_status(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no repository has been synced yet (set sync.git in the config)")
    for r in rows:
        line = f"{r['source']}  {r['status']}  {(r['commit'] or '-')[:12]}"
        sys.stdout.write(line + (f"  {r['error']}" if r["error"] else "") + "\n")
