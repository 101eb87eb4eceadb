"""Manifests and bulk imports over HTTP: ``/api/v1/manifests``, ``/imports/csv``.

Each route calls the use case the matching CLI command calls (``apply``,
``export``, ``lint``, ``diff``, ``preview``, ``import csv``). Manifests travel as
text in the body — one YAML stream, or named files so that every problem names
its ``file:line:column`` — and never as a path on the server: a name is a label
for messages, never opened. A media file in such a manifest is a URL or a path
under ``media.root``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field, model_validator

from socialhub.api.core import Caller, no_nul_bytes, operation, read, state_of, write
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record
from socialhub.services.authoring.csv_import import import_posts_csv
from socialhub.services.authoring.media_check import policy_from_settings
from socialhub.services.authoring.scheduling import waiting_on_unready_accounts
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx
from socialhub.services.manifests.apply import (
    ACTIONS,
    WRITING_ACTIONS,
    Owner,
    apply_sources,
    plan_manifests,
)
from socialhub.services.manifests.documents import KINDS, dump_documents
from socialhub.services.manifests.export import export_manifests, export_registry, parse_kind
from socialhub.services.manifests.preview import preview_manifests, render_preview
from socialhub.services.manifests.registry import dump_registry
from socialhub.services.manifests.sources import TextSet, lint_sources, read_texts, split_texts

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

#: One text's bound; the daemon's body limit (1 MiB by default) comes first anyway.
_TEXT = 10_000_000


def _route(method: str, path: str, op: str, summary: str, tag: str, *,
           status: int = 200, extra: dict[str, Any] | None = None) -> Any:
    return operation(router, method, path, op, summary, tag, Record, status=status,
                     success=extra)


class ManifestFile(Strict):
    """One manifest file: its name (a label in messages, never opened) and its text."""

    name: str = Field(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$",
                      examples=["calendar/posts.yaml"],
                      description="Shown in `file:line:column` messages; `published.yaml` "
                      "is a publication registry, as in an applied directory.")
    text: str = Field(max_length=_TEXT)


class Manifests(Strict):
    """The manifests: ``documents`` (one YAML stream, named ``<body>``) or ``files``."""

    documents: str | None = Field(default=None, max_length=_TEXT,
                                  examples=["apiVersion: socialhub/v1\nkind: Campaign\n"
                                            "metadata: {name: spring}\n"])
    files: list[ManifestFile] | None = Field(default=None, min_length=1, max_length=1_000)

    @model_validator(mode="after")
    def _one_of(self) -> Manifests:
        if (self.documents is None) == (self.files is None):
            raise ValueError("give either documents (YAML text) or files "
                             "([{name, text}]), not both or neither")
        return self

    def sources(self) -> list[tuple[str, str]]:
        """``(name, text)`` pairs."""
        if self.files is not None:
            return [(f.name, f.text) for f in self.files]
        return [("<body>", self.documents or "")]


class Plan(Manifests):
    """Manifests to plan against the database."""

    prune: bool = Field(default=False, description="Also end what `source` owns and these "
                        "manifests no longer list (needs `source`).")
    source: str | None = Field(default=None, min_length=1, max_length=200,
                               description="Who owns these records (as `apply --source`).")


class Apply(Plan):
    """Manifests to apply."""

    dry_run: bool = Field(default=False, description="Validate and plan; write nothing.")


class Preview(Plan):
    """Manifests to render as each platform would show their posts."""

    format: Literal["json", "markdown", "html"] = "json"
    changed_only: bool = Field(default=False, description="Only posts that applying would "
                               "create or change.")


class CsvImport(Strict):
    """A CSV of posts: columns body, accounts[, at, zone, name, campaign, tags]."""

    csv: str = Field(min_length=1, max_length=_TEXT,
                     examples=["body,accounts,at\nHello,bluesky:@shop.example.com,"
                               "2027-01-04 09:00\n"])
    name: str = Field(default="posts.csv", min_length=1, max_length=300,
                      pattern=r"^[^\x00-\x1f\x7f]+$",
                      description="Shown in `file:line` messages; never opened.")


def _texts(ctx: Ctx, body: Manifests) -> TextSet:
    limits = ctx.settings.limits
    return read_texts(body.sources(), file_limit=limits.manifest_file_bytes,
                      total_limit=limits.manifest_total_bytes)


def _media(ctx: Ctx) -> Any:
    return policy_from_settings(ctx.settings.media.root, manifest_folders=False)


def _owner(body: Plan) -> Owner | None:
    return Owner(body.source.strip()) if body.source and body.source.strip() else None


def _counts(changes: list[Any]) -> dict[str, int]:
    return {a: sum(1 for c in changes if c.action == a) for a in ACTIONS}


@_route("POST", "/manifests/lint", "lintManifests", "Check manifests without the database",
        "manifests")
def lint(request: Request, caller: Caller, body: Manifests) -> Any:
    """Fields, text lengths and the set's own policies; `ok` is false when any issue is
    an error (`socialhub lint`; any valid token: it reads no record)."""
    return lint_sources(body.sources(),
                        settings=state_of(request).hub.config.settings).as_dict()


@_route("POST", "/manifests/apply", "applyManifests", "Apply manifests", "manifests")
def apply(request: Request, caller: Caller, body: Apply) -> JSONResponse:
    """Create or update records, all or nothing; a second apply changes nothing
    (`socialhub apply`). Problems are a 422 listing each `file:line:column`."""
    def run(ctx: Ctx) -> dict[str, Any]:
        limits = ctx.settings.limits
        sources, published = split_texts(body.sources(), file_limit=limits.manifest_file_bytes,
                                         total_limit=limits.manifest_total_bytes)
        # As `socialhub apply`: files nothing has changed for are neither parsed nor planned.
        changes = apply_sources(ctx, sources, now=ctx.now(), dry_run=body.dry_run,
                                media=_media(ctx), owner=_owner(body), prune=body.prune,
                                published=published)
        warnings = [c.warning for c in changes if c.warning]
        warnings += waiting_on_unready_accounts(ctx)
        if body.dry_run:
            ctx.session.rollback()  # not even the organization row of a first run
        return {"dry_run": body.dry_run, "summary": _counts(changes),
                "changes": [c.as_dict() for c in changes], "warnings": warnings}
    return write(request, caller, run, body=body)


@_route("POST", "/manifests/diff", "diffManifests", "What applying would change",
        "manifests")
def diff(request: Request, caller: Caller, body: Plan) -> Any:
    """Every record and field that would change; writes nothing (`socialhub diff`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        found = _texts(ctx, body)
        changes = plan_manifests(ctx, found.manifests, now=ctx.now(), issues=found.issues,
                                 media=_media(ctx), owner=_owner(body), prune=body.prune,
                                 published=found.published)
        ctx.session.rollback()
        return {"changes_pending": any(c.action in WRITING_ACTIONS for c in changes),
                "summary": _counts(changes), "changes": [c.as_dict() for c in changes]}
    return read(request, caller, run)


_TEXT_MEDIA = {"markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@_route("POST", "/manifests/preview", "previewManifests",
        "Render posts as each platform would show them", "manifests",
        extra={"content": {"text/markdown": {"schema": {"type": "string"}},
                           "text/html": {"schema": {"type": "string"}}},
               "description": "JSON; Markdown or HTML with `format`."})
def preview(request: Request, caller: Caller, body: Preview) -> Any:
    """For review: texts, lengths, media, times (`socialhub preview`); `format`
    markdown (a pull-request comment) or html answers that text instead of JSON."""
    def run(ctx: Ctx) -> dict[str, Any]:
        found = _texts(ctx, body)
        data = preview_manifests(ctx, found.manifests, now=ctx.now(), issues=found.issues,
                                 media=_media(ctx), owner=_owner(body), prune=body.prune,
                                 published=found.published, changed_only=body.changed_only)
        ctx.session.rollback()
        return data
    data = read(request, caller, run)
    if body.format == "json":
        return data
    return Response(render_preview(data, body.format), media_type=_TEXT_MEDIA[body.format])


@_route("GET", "/manifests", "exportManifests", "Export manifests", "manifests")
def export(request: Request, caller: Caller,
           kind: Annotated[list[Annotated[str, Query(max_length=40)]] | None,
                           Query(max_length=20, description="Only these kinds; "
                                 "Organization and Member only when named.")] = None) -> Any:
    """The organization's records as manifests that apply back to the same state:
    `yaml` (one stream), `documents` (the same, parsed) and `published` (the
    publication registry, `published.yaml`; null when nothing went out)
    (`socialhub export`)."""
    kinds = {parse_kind(k) for k in kind} if kind else None

    def run(ctx: Ctx) -> dict[str, Any]:
        docs = export_manifests(ctx, kinds)
        registry = export_registry(ctx)
        ordered = [d for k in KINDS if k in docs for d in docs[k]]
        return {"yaml": dump_documents(ordered), "documents": ordered,
                "published": dump_registry(registry) if registry else None}
    return read(request, caller, run)


@_route("POST", "/imports/csv", "importCsv", "Import posts from a CSV", "imports",
        status=201)
def import_csv(request: Request, caller: Caller, body: CsvImport) -> JSONResponse:
    """One scheduled post per row, all or none (`socialhub import csv`; needs
    posts:write and posts:publish). A bad row is a 422 naming `name:line`."""
    def run(ctx: Ctx) -> dict[str, Any]:
        return import_posts_csv(ctx, body.csv, name=body.name,
                                default_zone=display_zone(ctx.settings),
                                now=ctx.now()).as_dict()
    return write(request, caller, run, body=body, status=201)

