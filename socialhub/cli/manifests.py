"""``socialhub apply``, ``socialhub export`` and ``socialhub lint``: records as YAML manifests.

Each is a one-command Typer app (its callback is the command) so the main app
registers them like any noun. The reference is docs/manifests.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, err, get_config, get_hub, info, state, warn
from socialhub.errors import ExitCode

if TYPE_CHECKING:
    from rich.progress import TaskID

    from socialhub.services.manifests.apply import Change
    from socialhub.services.manifests.documents import Issue, Progress

# No subcommands: the callback's docstring is the help, and no COMMAND in the usage line.
apply_app = typer.Typer(subcommand_metavar="", rich_markup_mode=None)
export_app = typer.Typer(subcommand_metavar="", rich_markup_mode=None)
lint_app = typer.Typer(subcommand_metavar="", rich_markup_mode=None,
                       context_settings={"allow_interspersed_args": True})


def _sources(paths: list[Path]) -> list[tuple[str, str]]:
    from socialhub.cli.stdin import read_stdin_bytes
    from socialhub.services.manifests.apply import read_sources

    limits = get_config().settings.limits
    stdin = (read_stdin_bytes(limits.manifest_file_bytes)
             if any(str(p) == "-" for p in paths) else None)
    return read_sources((p for p in paths if str(p) != "-"), stdin=stdin,
                        file_limit=limits.manifest_file_bytes,
                        total_limit=limits.manifest_total_bytes)


def _print_issues(issues: list[Issue]) -> None:
    for issue in issues:
        sys.stderr.write(f"{issue}\n")


@apply_app.callback(invoke_without_command=True)
def apply(
    files: Annotated[list[Path], typer.Option(
        "--filename", "-f", metavar="PATH",
        help="A manifest file or a directory of them (*.yaml, *.yml, searched recursively); "
        "repeatable; '-' reads stdin.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate and print the plan; write nothing.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="List every record and what happened to it, not only the "
        "counts per kind.")] = False,
    prune: Annotated[bool, typer.Option(
        "--prune", help="Also end what this directory owns but no longer lists: unpublished "
        "posts are canceled, slots removed; published posts are kept (a warning).")] = False,
    source: Annotated[str | None, typer.Option(
        "--source", metavar="KEY", help="Name of the directory that owns these records "
        "(default: the directory's absolute path). Use a fixed key in CI, where the "
        "checkout's path changes.")] = None,
    json_: JsonOption = False,
) -> None:
    """Create or update records from manifests; idempotent.

    Every document is checked first (syntax, fields, references, times, text
    length per platform, media files). Any problem prints
    `file:line:column: message` to stderr, exits 4 (6 when only a target that
    already went out is in the way) and writes nothing. Prints how many
    records of each kind were created, changed or unchanged (every record
    with --verbose; --json always lists every record). On a terminal a
    progress bar shows on stderr while a long apply runs.

    Posts and slots applied from one directory are labelled as owned by it
    (--source names it); with --prune, those it owns and no longer lists are
    canceled or removed. `socialhub diff` shows the same plan without writing.
    A publication registry (published.yaml) in the directory lists what went
    out: those targets are recorded as published and never sent again.

    Example: socialhub apply -f manifests/ --prune --source calendar
    """
    from socialhub.services.authoring.media_check import policy_from_settings
    from socialhub.services.authoring.scheduling import waiting_on_unready_accounts
    from socialhub.services.clock import now_utc
    from socialhub.services.manifests.apply import ManifestError, apply_sources, owner_for

    policy = policy_from_settings(get_config().settings.media.root)
    from socialhub.services.manifests.registry import read_registries

    sources = _sources(files)
    owner = owner_for(files, source)
    published = read_registries(p for p in files if str(p) != "-")
    try:
        with _progress_bar() as progress:
            hub = get_hub()
            with hub.context("cli") as ctx:
                changes = apply_sources(ctx, sources, now=now_utc(), dry_run=dry_run,
                                        media=policy, owner=owner, prune=prune,
                                        published=published, progress=progress)
                blocked = waiting_on_unready_accounts(ctx)
                if dry_run:
                    ctx.session.rollback()  # the organization row a first run creates, too
    except ManifestError as exc:  # printed once the progress bar is gone
        _print_issues(exc.issues)
        raise
    counts = {a: sum(1 for c in changes if c.action == a) for a in _ACTIONS}
    if json_:
        emit_json({"dry_run": dry_run, "summary": counts,
                   "changes": [c.as_dict() for c in changes]})
    else:
        sys.stdout.write(_render_changes(changes, verbose=verbose, dry_run=dry_run))
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n or a in _ALWAYS)
    for c in changes:
        if c.warning:
            warn(c.warning)
    if not any(c.action in _WRITING for c in changes):
        info(f"nothing to change: {summary}")
    else:
        info(f"{summary}{' — dry run, nothing written' if dry_run else ''}")
    for line in blocked:
        warn(line)


_ACTIONS = ("created", "changed", "rescheduled", "canceled", "removed", "kept", "unchanged")
_WRITING = ("created", "changed", "rescheduled", "canceled", "removed")
_ALWAYS = ("created", "changed", "unchanged")  # counted even when 0


def _render_changes(changes: list[Change], *, verbose: bool, dry_run: bool) -> str:
    """One line per record with ``verbose``, else one line per kind with its counts."""
    suffix = " (dry run)" if dry_run else ""
    if verbose:
        lines = []
        for c in changes:
            detail = (f" ({', '.join(c.fields)})"
                      if c.fields and c.action in ("changed", "rescheduled") else "")
            lines.append(f"{c.label} {c.action}{detail}{suffix}\n")
        return "".join(lines)
    per_kind: dict[str, dict[str, int]] = {}
    for c in changes:
        per_kind.setdefault(c.kind, dict.fromkeys(_ACTIONS, 0))[c.action] += 1
    width = max((len(k) for k in per_kind), default=0)
    return "".join(
        f"{kind.lower():<{width}}  "
        + ", ".join(f"{n} {a}" for a, n in counts.items() if n) + f"{suffix}\n"
        for kind, counts in per_kind.items())


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A Rich progress bar on stderr while a long apply runs; None when stderr is no terminal.

    In CI (not a TTY), with --quiet, or for a few documents, nothing is drawn.
    """
    if state.quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    labels = {"checking": "checking manifests", "planning": "planning posts",
              "writing": "writing"}
    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
             TimeElapsedColumn(), console=err(), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    bar.update(other, visible=False)
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report
@export_app.callback(invoke_without_command=True)
def export(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="DIR",
        help="Write one file per kind into this directory (default: print to stdout).",
        file_okay=False)] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", "-k", metavar="KIND",
        help="Only this kind (Account, VoiceProfile, Campaign, Slot, Post; Organization and "
        "Member only when named); repeatable.")] = None,
    json_: JsonOption = False,
) -> None:
    """Write accounts, voices, campaigns, slots, posts as manifests.

    The output applies back to exactly the same state; secrets are never
    included (accounts carry only keyring:/env: references). The organization's
    settings and its members are written only when asked for:
    `--kind organization --kind members`. With -o, what was published goes to
    published.yaml (remote ids and URLs), so applying the directory to a new
    database never publishes it again.

    Example: socialhub export -o manifests/ && socialhub apply -f manifests/
    """
    from socialhub.cli.output_files import make_output_folder, write_output
    from socialhub.services.manifests.documents import DEFAULT_EXPORT_KINDS, KINDS, dump_documents
    from socialhub.services.manifests.export import (
        FILE_NAMES,
        export_manifests,
        export_registry,
        parse_kind,
    )
    from socialhub.services.manifests.registry import REGISTRY_FILE, dump_registry

    kinds = {parse_kind(k) for k in kind} if kind else None
    hub = get_hub()
    with hub.context("cli") as ctx:
        docs = export_manifests(ctx, kinds)
        registry = export_registry(ctx) if output is not None else {}
    ordered = [k for k in KINDS if k in docs]
    if output is None:
        if json_:
            emit_json([d for k in ordered for d in docs[k]])
        else:
            sys.stdout.write(dump_documents(d for k in ordered for d in docs[k]))
        return
    make_output_folder(output)
    written = []
    for k in [k for k in KINDS if (k in kinds if kinds else k in DEFAULT_EXPORT_KINDS)]:
        path = output / FILE_NAMES[k]
        if k not in docs and not path.exists():
            continue
        # A kind with no records left empties its file from an earlier export, so
        # applying the directory cannot bring deleted records back.
        write_output(path, dump_documents(docs[k]) if k in docs else "")
        count = len(docs.get(k, []))
        written.append({"path": str(path), "kind": k, "count": count})
        info(f"wrote {path} ({count} {k})")
    if registry:  # what went out, so applying this directory never sends it again
        path = output / REGISTRY_FILE
        write_output(path, dump_registry(registry))
        count = sum(len(t) for t in registry.values())
        written.append({"path": str(path), "kind": "PublicationRegistry", "count": count})
        info(f"wrote {path} ({count} published targets)")
    if json_:
        emit_json({"files": written})
    elif not written:
        info("nothing to export")


@lint_app.callback(invoke_without_command=True)
def lint(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH",
        help="Manifest files or directories (searched recursively for *.yaml, *.yml); "
        "'-' reads stdin.")],
    json_: JsonOption = False,
) -> None:
    """Check manifests without a database: fields, texts, policies.

    Prints one `file:line:column: message` line per problem on stdout and
    exits 4 (invalid input, as `apply` does) when there is any, 0 when the
    files are clean. Posts are held to the `kind: Policy` documents of the
    same files: a policy warning is printed but does not fail. References to
    records, media files and times in the past are checked by `apply`, which
    sees the database and the files. '-' reads stdin.

    Example: socialhub lint manifests/
    """
    from socialhub.services.manifests.sources import lint_sources

    # links.* decide how links are measured
    found = lint_sources(_sources(paths), settings=get_config().settings)
    issues, errors = found.issues, found.errors
    if json_:
        emit_json(found.as_dict())
    else:
        sys.stdout.write("".join(f"{i}\n" for i in issues))
    warnings = len(issues) - len(errors)
    if errors:
        info(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found"
             + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""))
        raise typer.Exit(ExitCode.VALIDATION)
    if warnings:
        info(f"{warnings} policy warning{'s' if warnings != 1 else ''}")
    info(f"ok: {found.documents} document{'s' if found.documents != 1 else ''}")
