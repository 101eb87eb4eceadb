"""Applying manifests to the database: plan every document, then write in one go.

``apply_manifests`` first plans: it loads what exists (one query per kind, not
per document), resolves references against the database *and* the set being
applied, checks texts against each real account, times against the clock and
targets against what already went out. Only when the whole plan is clean does
it write, in dependency order, inside the caller's transaction; any problem
raises ``ManifestError`` listing every issue, before anything was written.
Applying the same files twice plans nothing but "unchanged".
Export lives in ``services.manifests.export``; post helpers in ``manifest_posts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.limits import (
    MANIFEST_FILE_BYTES,
    MANIFEST_TOTAL_BYTES,
    check_size,
    decode_utf8,
)
from socialhub.core.manifests import KINDS, Issue, Manifest, MediaSpec, Progress
from socialhub.core.media_policy import MediaPolicy
from socialhub.core.policy import Permission
from socialhub.db.models import Account, Campaign, Post, Slot, Variant, VoiceProfile
from socialhub.db.queries import manifests as queries
from socialhub.db.queries.slots import slots_of_accounts
from socialhub.errors import ExitCode, ValidationError
from socialhub.services.accounts.accounts import ACCOUNT_FIELDS
from socialhub.services.audit import changes, created, record_event, snapshot
from socialhub.services.authoring.media_check import resolve_manifest_media
from socialhub.services.authoring.post_audit import post_state
from socialhub.services.authoring.scheduling import refresh_post_status, sync_delivery
from socialhub.services.authoring.slots import slot_state
from socialhub.services.authoring.variants import check_variant_text
from socialhub.services.context import Ctx, use_case
from socialhub.services.manifests.posts import (
    Targets,
    TargetState,
    fill_variant,
    insert_new_posts,
    new_variant,
    same_text,
    variant_state,
)

_SENT = ("claimed", "publishing", "unconfirmed", "published")
_CHUNK = 500


@dataclass
class Change:
    """What applying one document does (or did): ``created``, ``changed`` or ``unchanged``."""

    kind: str
    name: str
    action: str
    fields: list[str] = field(default_factory=list)
    where: str = ""

    @property
    def label(self) -> str:
        """``post/spring-launch``: kind and name, as printed."""
        return f"{self.kind.lower()}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json."""
        return {"kind": self.kind, "name": self.name, "action": self.action,
                "fields": self.fields, "source": self.where}


class ManifestError(ValidationError):
    """Manifests have problems; ``issues`` lists each as ``file:line:column: message``."""

    def __init__(self, issues: Sequence[Issue], *, exit_code: ExitCode = ExitCode.VALIDATION,
                 wrote: bool = False) -> None:
        n = len(issues)
        tail = "" if wrote else "; nothing was written"
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the manifests{tail}")
        self.issues = list(issues)
        self.exit_code = exit_code


def read_sources(paths: Iterable[Path], *, stdin: bytes | None = None,
                 file_limit: int = MANIFEST_FILE_BYTES,
                 total_limit: int = MANIFEST_TOTAL_BYTES) -> list[tuple[str, str]]:
    """The (name, text) of ``stdin`` (as ``<stdin>``) and every ``.yaml``/``.yml`` file
    named or found under a directory.

    Sizes are checked before anything is parsed: each file (and stdin) against
    ``file_limit``, all of them together against ``total_limit``.

    Raises:
        ValidationError: a path does not exist, a file is too big or not UTF-8 text.
    """
    named = list(paths)
    files: list[Path] = []
    for path in named:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise ValidationError(f"{path}: no such file or directory")
    out: list[tuple[str, str]] = []
    total = 0
    if stdin is not None:
        check_size("stdin", len(stdin), file_limit)
        total += len(stdin)
        out.append(("<stdin>", decode_utf8(stdin, "stdin")))
    for f in files:
        size = f.stat().st_size
        check_size(str(f), size, file_limit)
        total += size
        check_size(", ".join(str(p) for p in named), total, total_limit,
                   what="manifests together")
        with f.open("rb") as fh:  # read at most the limit, should the file grow meanwhile
            data = fh.read(file_limit + 1)
        check_size(str(f), len(data), file_limit)
        out.append((str(f), decode_utf8(data, str(f))))
    return out


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


class _Planner:
    """Plans changes for a set of manifests; ``writes`` holds the deferred database work."""

    def __init__(self, session: Session, org_id: int, now: datetime,
                 media: MediaPolicy) -> None:
        self.s, self.org_id, self.now, self.media = session, org_id, now, media
        self.changes: list[Change] = []
        self.issues: list[Issue] = []
        self.writes: list[Callable[[], None]] = []
        self.conflicts = 0
        self.new_posts: list[tuple[Manifest, Targets]] = []
        self.tick: Callable[[], None] = lambda: None
        self.accounts = {a.ref: a for a in queries.accounts_in_order(session, org_id)}
        self.voices = {v.name: v for v in queries.voices_in_order(session, org_id)}
        self.campaigns = {c.name: c for c in queries.campaigns_in_order(session, org_id)}

    def _change(self, m: Manifest, action: str, fields: list[str] | None = None) -> None:
        self.changes.append(Change(m.kind, m.name, action, fields or [], m.file))

    # -- accounts -------------------------------------------------------------------------
    def account(self, m: Manifest) -> None:
        spec, ref = m.model.spec, m.name
        given = spec.model_fields_set  # Account fields left out keep their value
        desired: dict[str, Any] = {f: getattr(spec, f) for f in
                                   ("display_name", "external_id", "base_url") if f in given}
        existing = self.accounts.get(ref)
        settings = dict(existing.settings or {}) if existing else {}
        settings.update(spec.settings)
        if "credentials" in given:
            settings.pop("credential_refs", None)
            if spec.credentials:
                settings["credential_refs"] = dict(spec.credentials)
        desired["settings"] = settings
        if existing is None:
            platform, handle = ref.split(":@", 1)
            account = Account(org_id=self.org_id, platform=platform, handle=handle,
                              status="active", **desired)
            self.accounts[ref] = account  # later documents may refer to it

            def create() -> None:
                self.s.add(account)
                self.s.flush()
                record_event(self.s, self.org_id, "create", "Account", record_id=account.id,
                             name=ref, change=created(snapshot(account, ACCOUNT_FIELDS)))
            self.writes.append(create)
            self._change(m, "created")
            return
        self._update(m, existing, desired, "Account")

    def _update(self, m: Manifest, row: Any, desired: dict[str, Any], kind: str,
                labels: dict[str, str] | None = None) -> None:
        diff = [f for f, v in desired.items() if getattr(row, f) != v]
        if not diff:
            self._change(m, "unchanged")
            return

        def update() -> None:
            before = _audit_view(row, diff)
            for f in diff:
                setattr(row, f, desired[f])
            record_event(self.s, self.org_id, "update", kind, record_id=row.id, name=m.name,
                         change=changes(before, _audit_view(row, diff)))
        self.writes.append(update)
        self._change(m, "changed", [(labels or {}).get(f, f) for f in diff])

    # -- voices and campaigns -------------------------------------------------------------
    def voice(self, m: Manifest, names_in_set: set[str]) -> None:
        spec = m.model.spec
        desired = {"is_default": spec.default, "description": spec.description,
                   "tone": list(spec.tone), "formality": spec.formality,
                   "emoji_use": spec.emoji_use, "phrases_use": list(spec.phrases_use),
                   "phrases_avoid": list(spec.phrases_avoid), "samples": list(spec.samples)}
        if spec.default:  # one default per organization: the others give it up
            for other in self.voices.values():
                if other.is_default and other.name != m.name and other.name not in names_in_set:
                    self.writes.append(_unset_default(other))
                    self.changes.append(Change("VoiceProfile", other.name, "changed",
                                               ["default"], "(database)"))
        self._create_or_update(m, VoiceProfile, self.voices, desired, {"is_default": "default"})

    def campaign(self, m: Manifest) -> None:
        spec = m.model.spec
        desired = {"description": spec.description, "status": spec.status,
                   "starts_on": spec.starts_on, "ends_on": spec.ends_on, "budget": spec.budget,
                   "currency": spec.currency.upper() if spec.currency else None}
        self._create_or_update(m, Campaign, self.campaigns, desired)

    def _create_or_update(self, m: Manifest, model: Any, rows: dict[str, Any],
                          desired: dict[str, Any], labels: dict[str, str] | None = None) -> None:
        existing = rows.get(m.name)
        if existing is not None:
            self._update(m, existing, desired, model.__name__, labels)
            return
        row = model(org_id=self.org_id, name=m.name, **desired)
        rows[m.name] = row

        def create() -> None:
            self.s.add(row)
            self.s.flush()
            record_event(self.s, self.org_id, "create", model.__name__, record_id=row.id,
                         name=m.name, change=created(_audit_view(row, ["name", *desired])))
        self.writes.append(create)
        self._change(m, "created")

    # -- slots ----------------------------------------------------------------------------
    def slots(self, manifests: list[Manifest]) -> None:
        ids = [a.id for a in self.accounts.values() if a.id is not None]
        existing = {(s.account_id, s.weekday, s.time): s for chunk in _chunks(ids)
                    for s in slots_of_accounts(self.s, chunk)}
        for m in manifests:
            spec = m.model.spec
            account = self.accounts.get(spec.account)
            if account is None:
                self.issues.append(m.issue(("spec", "account"), _unknown("account", spec.account)))
                continue
            day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(spec.day)
            slot = existing.get((account.id, day, spec.time)) if account.id else None
            if slot is not None:
                self._update(m, slot, {"timezone": spec.zone}, "Slot", {"timezone": "zone"})
                continue
            new = Slot(weekday=day, time=spec.time, timezone=spec.zone)

            def create(new: Slot = new, account: Account = account, name: str = m.name) -> None:
                new.account = account
                self.s.add(new)
                self.s.flush()
                record_event(self.s, self.org_id, "create", "Slot", record_id=new.id, name=name,
                             change=created(slot_state(new)))
            self.writes.append(create)
            self._change(m, "created")

    # -- posts ----------------------------------------------------------------------------
    def posts(self, manifests: list[Manifest]) -> None:
        names = [m.name for m in manifests]
        existing: dict[str, Post] = {}
        for chunk in _chunks(names):
            for p in queries.posts_named(self.s, self.org_id, chunk):
                existing[p.name] = p
        variant_ids = [v.id for p in existing.values() for v in p.variants]
        live: dict[int, str] = {}
        for chunk in _chunks(variant_ids):
            live.update(queries.latest_live_statuses(self.s, chunk))
        for m in manifests:
            self.post(m, existing.get(m.name), live)
            self.tick()

    def _target_states(self, m: Manifest, current: dict[str, Variant]
                       ) -> tuple[Targets, bool]:
        """Each target's desired state (text checked against its real account), and whether
        every target could be resolved."""
        spec, ok = m.model.spec, True
        states: Targets = {}
        for i, t in enumerate(spec.targets):
            account = self.accounts.get(t.account)
            if account is None:
                self.issues.append(m.issue(("spec", "targets", i, "account"),
                                           _unknown("account", t.account)))
                ok = False
                continue
            text = t.text if t.text is not None else spec.body
            stored = current.get(t.account)
            try:
                if stored is not None and same_text(stored, text, t.thread):
                    # Checked when it was stored; measuring again is most of a re-apply's time.
                    text, thread = stored.text, list(stored.thread or [])
                else:
                    text, thread = check_variant_text(account, text, t.thread)
            except ValidationError as exc:
                path = ("thread" if t.thread is not None else "text" if t.text is not None
                        else None)
                self.issues.append(m.issue(("spec", "targets", i, path) if path
                                           else ("spec", "body"), exc.message))
                ok = False
                text, thread = "", []
            when = t.when()
            media = self._media(m, i, t.media)
            ok = ok and media is not None
            states[t.account] = (i, account, TargetState(
                text, thread, media or [], t.first_comment, dict(t.options),
                (when.local_text, when.zone) if when else None, when))
        return states, ok

    def _media(self, m: Manifest, i: int, items: list[MediaSpec]) -> list[dict[str, Any]] | None:
        """Target ``i``'s media as stored, each file confined and sniffed; None on a problem."""
        base = Path.cwd() if m.file == "<stdin>" else Path(m.file).parent
        out: list[dict[str, Any]] | None = []
        for j, item in enumerate(items):
            try:
                resolved = resolve_manifest_media(item.as_dict(), base, self.media)
            except ValidationError as exc:
                self.issues.append(m.issue(("spec", "targets", i, "media", j,
                                            "url" if item.url is not None else "path"),
                                           exc.message))
                out = None
                continue
            if out is not None:
                out.append(resolved)
        return out

    def post(self, m: Manifest, post: Post | None, live: dict[int, str]) -> None:
        meta, spec = m.model.metadata, m.model.spec
        if meta.campaign and meta.campaign not in self.campaigns:
            self.issues.append(m.issue(("metadata", "campaign"),
                                       _unknown("campaign", meta.campaign)))
        if spec.voice and spec.voice not in self.voices:
            self.issues.append(m.issue(("spec", "voice"), _unknown("voice profile", spec.voice)))
        current = {v.account.ref: v for v in post.variants} if post else {}
        states, ok = self._target_states(m, current)
        fields: list[str] = []
        if post is not None:
            fields = [f for f, old, new in (
                ("body", post.body, spec.body), ("tags", list(post.tags or []), spec.tags),
                ("paid", post.paid, spec.paid), ("voice", post.voice.name if post.voice else None,
                                                 spec.voice),
                ("campaign", post.campaign.name if post.campaign else None, meta.campaign))
                if old != new]
        for ref, (i, _account, state) in states.items():
            variant = current.get(ref)
            if variant is not None and variant_state(variant) == state:
                continue
            fields.append(f"targets[{ref}]")
            if variant is not None and live.get(variant.id) in _SENT:
                self._conflict(m, ("spec", "targets", i),
                               f"the {ref} target is already {live[variant.id]}; it can no "
                               "longer change")
            if state.when is not None and (variant is None or variant_state(variant).at
                                           != state.at) and state.when.utc <= self.now:
                self.issues.append(m.issue(("spec", "targets", i, "at"),
                                           f"time {state.when} is in the past"))
        for ref, variant in current.items():
            if ref not in states:
                fields.append(f"targets[{ref}] removed")
                if live.get(variant.id) in _SENT:
                    self._conflict(m, ("spec", "targets"), f"target {ref} was removed from the "
                                   f"manifest but is already {live[variant.id]}")
        if not ok:
            return
        if post is None:
            self.new_posts.append((m, states))
            self._change(m, "created")
        elif not fields:
            self._change(m, "unchanged")
        else:
            if post.status == "canceled":
                self._conflict(m, ("metadata", "name"), f"post {post.name} was canceled; "
                               "it can no longer change")
            self.writes.append(lambda: self._update_post(m, post, states, current, fields))
            self._change(m, "changed", fields)

    def _conflict(self, m: Manifest, path: tuple[Any, ...], message: str) -> None:
        self.conflicts += 1
        self.issues.append(m.issue(path, message))

    def _update_post(self, m: Manifest, post: Post,
                     states: Targets,
                     current: dict[str, Variant], fields: list[str]) -> None:
        meta, spec = m.model.metadata, m.model.spec
        before = post_state(post)
        post.body, post.tags, post.paid = spec.body, list(spec.tags), spec.paid
        post.campaign = self.campaigns.get(meta.campaign or "")
        post.voice = self.voices.get(spec.voice or "")
        for ref, variant in current.items():
            if ref not in states:
                post.variants.remove(variant)
        touched: list[Variant] = []
        for ref, (_i, account, st) in states.items():
            old = current.get(ref)
            if old is None:
                new = new_variant(account, st)
                post.variants.append(new)
                touched.append(new)
            elif variant_state(old) != st:
                fill_variant(old, st)
                touched.append(old)
        self.s.flush()
        for variant in touched:
            sync_delivery(self.s, variant)
        refresh_post_status(self.s, post)
        record_event(self.s, self.org_id, "update", "Post", record_id=post.id, name=post.name,
                     change=changes(before, post_state(post)))


def _audit_view(row: Any, fields: list[str]) -> dict[str, Any]:
    """The audit trail's view of ``fields`` on ``row``: a voice's samples as a count."""
    view = snapshot(row, [f for f in fields if f != "samples"])
    if "samples" in fields:
        view["samples"] = len(row.samples or [])
    return view


def _unset_default(voice: VoiceProfile) -> Callable[[], None]:
    def write() -> None:
        voice.is_default = False
    return write


def _unknown(what: str, name: str) -> str:
    return f"unknown {what} {name!r} (not in the database or in these manifests)"


@use_case(Permission.MANIFESTS_APPLY)
def apply_manifests(ctx: Ctx, manifests: Sequence[Manifest], *,
                    now: datetime, dry_run: bool = False, issues: Sequence[Issue] = (),
                    media: MediaPolicy | None = None,
                    progress: Progress | None = None) -> list[Change]:
    """Plan ``manifests`` against the database and, unless ``dry_run``, write the plan.

    ``issues`` found earlier (syntax, schema) are reported together with the
    database checks, so one run lists every problem. Records not named in the
    manifests are left alone; a post's targets are exactly those listed.
    Media files are checked against ``media`` (default: each manifest's own
    folder only). ``progress`` is told ``("planning", posts planned, posts)``
    and then ``("writing", 0, 1)``.

    Raises:
        ManifestError: any problem at all; nothing was written.
    """
    session, org_id = ctx.session, ctx.org_id
    plan = _Planner(session, org_id, now, media or MediaPolicy())
    plan.issues += issues
    by_kind: dict[str, list[Manifest]] = {k: [] for k in KINDS}
    for m in manifests:
        by_kind[m.kind].append(m)
    if progress is not None:
        planned, n_posts = iter(range(1, len(by_kind["Post"]) + 1)), len(by_kind["Post"])
        plan.tick = lambda: progress("planning", next(planned), n_posts)
    for m in by_kind["Account"]:
        plan.account(m)
    voice_names = {m.name for m in by_kind["VoiceProfile"]}
    for m in by_kind["VoiceProfile"]:
        plan.voice(m, voice_names)
    for m in by_kind["Campaign"]:
        plan.campaign(m)
    plan.slots(by_kind["Slot"])
    plan.posts(by_kind["Post"])
    if plan.issues:
        plan.issues.sort(key=lambda i: (i.file, i.line, i.column))
        # Only conflicts (a target already sent, a canceled post): the input is fine, the
        # state is not, so the exit code says "conflict" rather than "invalid".
        only_conflicts = plan.conflicts == len(plan.issues)
        raise ManifestError(plan.issues, exit_code=ExitCode.CONFLICT if only_conflicts
                            else ExitCode.VALIDATION)
    if not dry_run:
        if progress is not None:
            progress("writing", 0, 1)
        with session.no_autoflush:
            for write in plan.writes:
                write()
        insert_new_posts(session, org_id, plan.new_posts, plan.campaigns, plan.voices)
        session.flush()
        _announce_posts(session, org_id, [c.name for c in plan.changes
                                          if c.kind == "Post" and c.action != "unchanged"])
    return plan.changes


def _announce_posts(session: Session, org_id: int, names: list[str]) -> None:
    """Wake daemons for created or changed posts; ``scheduled`` webhooks for the scheduled."""
    from socialhub.services.announce import (
        announce_schedule,
        notify_schedule_changed,
        wants_scheduled_webhook,
    )
    from socialhub.services.authoring.posts import get_post
    from socialhub.services.authoring.scheduling import post_summary

    if not names:
        return
    notify_schedule_changed(session)
    if not wants_scheduled_webhook(session):
        return
    for name in names:
        post = get_post(session, org_id, name)
        if post.status == "scheduled":
            announce_schedule(session, name, partial(post_summary, session, post))
