"""``socialhub diff`` and ``socialhub preview``: review manifests before they are applied.

Both plan exactly as ``socialhub apply`` does (the same planner) and write
nothing. ``diff`` exits 13 when applying would change something, 0 when not
(like ``terraform plan -detailed-exitcode``); ``preview`` renders the posts for
a pull-request comment. The pipelines are in docs/ci.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, warn
from socialhub.cli.manifests import _print_issues, _sources
from socialhub.errors import ExitCode, ValidationError

if TYPE_CHECKING:
    from socialhub.services.manifests.apply import Change

diff_app = typer.Typer(subcommand_metavar="", rich_markup_mode=None)
preview_app = typer.Typer(subcommand_metavar="", rich_markup_mode=None)

FilesOption = Annotated[list[Path], typer.Option(
    "--filename", "-f", metavar="PATH",
    help="A manifest file or a directory of them (*.yaml, *.yml, searched recursively); "
    "repeatable; '-' reads stdin.")]
PruneOption = Annotated[bool, typer.Option(
    "--prune", help="Plan as `apply --prune` would: what this directory owns and no "
    "longer lists is canceled or removed.")]
SourceOption = Annotated[str | None, typer.Option(
    "--source", metavar="KEY", help="Name of the directory that owns these records, as "
    "given to `apply --source` (default: the directory's absolute path).")]

_MARKS = {"created": "+", "changed": "~", "rescheduled": ">", "canceled": "-",
          "removed": "-", "kept": "!", "unchanged": "="}
_WRITING = ("created", "changed", "rescheduled", "canceled", "removed")


def _plan(files: list[Path], source: str | None, prune: bool,
          what: str, *, changed_only: bool = False) -> Any:
    """Parse and plan ``files`` with the ``what`` use case ("diff" or "preview")."""
    from socialhub.services.authoring.media_check import policy_from_settings
    from socialhub.services.clock import now_utc
    from socialhub.services.manifests.apply import ManifestError, owner_for, plan_manifests
    from socialhub.services.manifests.documents import parse_manifests
    from socialhub.services.manifests.preview import preview_manifests
    from socialhub.services.manifests.registry import read_registries

    policy = policy_from_settings(get_config().settings.media.root)
    sources = _sources(files)
    owner = owner_for(files, source)
    manifests, issues = parse_manifests(sources)
    published = read_registries(p for p in files if str(p) != "-")
    try:
        with get_hub().context("cli") as ctx:
            if what == "diff":
                result: Any = plan_manifests(ctx, manifests, now=now_utc(), issues=issues,
                                             media=policy, owner=owner, prune=prune,
                                             published=published)
            else:
                result = preview_manifests(ctx, manifests, now=now_utc(), issues=issues,
                                           media=policy, owner=owner, prune=prune,
                                           published=published, changed_only=changed_only)
            ctx.session.rollback()  # read-only: not even the organization row of a first run
    except ManifestError as exc:
        _print_issues(exc.issues)
        raise
    return result


@diff_app.callback(invoke_without_command=True)
def diff(
    files: FilesOption,
    prune: PruneOption = False,
    source: SourceOption = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also list the records that stay unchanged.")] = False,
    json_: JsonOption = False,
) -> None:
    """Show what `apply` would change; write nothing.

    What apply would create, change, reschedule, cancel or leave alone,
    computed by the same code as `apply`, against the database; nothing is
    written. Each record is listed with the fields that change
    (old → new); a changed text shows its length as each platform counts it,
    against the limit. Marks: + create, ~ change, > reschedule (only times
    move), - cancel or remove (with --prune), ! kept (a pruned post that was
    already published), = unchanged (with -v).

    Exit codes: 0 nothing would change, 13 changes pending, 4 the manifests
    have problems (printed as `file:line:column: message`), 6 only conflicts
    with what already went out.

    Example: socialhub diff -f calendar/ --prune --source calendar
    """
    changes: list[Change] = _plan(files, source, prune, "diff")
    counts = {a: sum(1 for c in changes if c.action == a) for a in _MARKS}
    pending = any(c.action in _WRITING for c in changes)
    if json_:
        emit_json({"changes_pending": pending, "summary": counts,
                   "changes": [c.as_dict() for c in changes]})
    else:
        sys.stdout.write(render_diff(changes, verbose=verbose))
    for c in changes:
        if c.warning:
            warn(c.warning)
    summary = ", ".join(f"{n} to {_VERBS[a]}" for a, n in counts.items()
                        if n and a in _VERBS)
    info(f"plan: {summary}" if pending else
         f"no changes: {counts['unchanged']} unchanged")
    if pending:
        raise typer.Exit(ExitCode.CHANGES)


_VERBS = {"created": "create", "changed": "change", "rescheduled": "reschedule",
          "canceled": "cancel", "removed": "remove", "kept": "keep (already published)"}


def render_diff(changes: list[Change], *, verbose: bool) -> str:
    """One block per record that changes: mark, label, action, then one line per field."""
    out: list[str] = []
    for c in changes:
        if c.action == "unchanged" and not verbose:
            continue
        out.append(f"{_MARKS[c.action]} {c.label} {c.action}\n")
        for d in c.details:
            out.append(f"    {d['field']}: {_show(d.get('old'))} → {_show(d.get('new'))}"
                       f"{_lengths(d.get('lengths'))}\n"
                       if c.action != "created" else
                       f"    {d['field']}: {_show(d.get('new'))}{_lengths(d.get('lengths'))}\n")
    return "".join(out)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
    text = text.replace("\n", "⏎")
    return json.dumps(text, ensure_ascii=False) if len(text) <= 120 else \
        json.dumps(text[:117] + "…", ensure_ascii=False)


def _lengths(lengths: list[dict[str, Any]] | None) -> str:
    if not lengths:
        return ""
    shown = ", ".join(
        f"{'part ' + str(m['part']) + ' ' if len(lengths) > 1 else ''}"
        f"{m['length']}/{m['limit']} {m['unit']}{' OVER' if not m['valid'] else ''}"
        for m in lengths)
    return f"  [{lengths[0]['platform']}: {shown}]"


@preview_app.callback(invoke_without_command=True)
def preview(
    files: FilesOption,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help="markdown (a pull-request comment) or html (a standalone page).")] = "markdown",
    changed_only: Annotated[bool, typer.Option(
        "--changed-only", help="Only posts that applying would create or change.")] = False,
    prune: PruneOption = False,
    source: SourceOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write to this file instead of stdout.",
        dir_okay=False)] = None,
    json_: JsonOption = False,
) -> None:
    """Render each post as each platform would show it, for review.

    Every target shows its text (or thread parts) with the length the
    platform counts against its limit, the first comment, media with their
    alt text, links that become link cards, and the time in the zone the
    manifest gives. The posts are planned as `apply` would plan them (against
    the database; nothing is written), so the action (created, changed,
    rescheduled, unchanged) is the one `diff` shows. Post texts are quoted in
    code blocks (Markdown) or escaped (HTML). --json prints the data instead.

    Example: socialhub preview -f calendar/ --changed-only --format markdown > comment.md
    """
    from socialhub.services.manifests.preview import FORMATS, render_preview

    if fmt not in FORMATS:
        raise ValidationError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    data = _plan(files, source, prune, "preview", changed_only=changed_only)
    if json_:
        emit_json(data)
        return
    text = render_preview(data, "markdown" if fmt == "markdown" else "html")
    if output is None:
        sys.stdout.write(text)
    else:
        from socialhub.cli.output_files import write_output

        write_output(output, text)
        info(f"wrote {output}")
