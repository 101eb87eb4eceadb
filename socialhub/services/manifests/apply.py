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

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from socialhub.core.approvals import approval_valid, approvals_required, content_digest
from socialhub.core.limits import (
    MANIFEST_FILE_BYTES,
    MANIFEST_TOTAL_BYTES,
    check_size,
    decode_utf8,
)
from socialhub.core.manifests import (
    KINDS,
    WEEKDAYS,
    Issue,
    Manifest,
    MediaSpec,
    Progress,
    with_experiment_posts,
)
from socialhub.core.media_policy import MediaPolicy
from socialhub.core.policy import Permission
from socialhub.core.status import PENDING_DELIVERY_STATES, DeliveryStatus
from socialhub.db.models import (
    Account,
    Campaign,
    Delivery,
    Post,
    Rule,
    Slot,
    Variant,
    VoiceProfile,
)
from socialhub.db.queries import delivery as delivery_queries
from socialhub.db.queries import manifests as queries
from socialhub.db.queries import policies as policies_queries
from socialhub.db.queries import rules as rules_queries
from socialhub.db.queries import teams as teams_queries
from socialhub.db.queries.slots import slots_of_accounts
from socialhub.errors import ExitCode, ValidationError
from socialhub.services.accounts.accounts import ACCOUNT_FIELDS
from socialhub.services.audit import changes, created, record_event, snapshot
from socialhub.services.authoring.media_check import resolve_manifest_media
from socialhub.services.authoring.post_audit import post_state
from socialhub.services.authoring.scheduling import (
    new_idempotency_key,
    refresh_post_status,
    sync_delivery,
)
from socialhub.services.authoring.slots import slot_state
from socialhub.services.authoring.variants import check_variant_text
from socialhub.services.context import Actor, Ctx, check, use_case
from socialhub.services.links.style import sent_text
from socialhub.services.manifests import digests
from socialhub.services.manifests.documents import parse_manifests
from socialhub.services.manifests.experiments import plan_experiments, prune_experiments
from socialhub.services.manifests.people import plan_member, plan_organization
from socialhub.services.manifests.policies import check_policies, plan_policy
from socialhub.services.manifests.posts import (
    Targets,
    TargetState,
    fill_variant,
    insert_new_posts,
    new_variant,
    plain,
    same_text,
    target_changes,
    variant_state,
)
from socialhub.services.manifests.registry import REGISTRY_FILE, Registry
from socialhub.services.teams.approvals import lapse_approval

if TYPE_CHECKING:
    from socialhub.config import Settings

_SENT = ("claimed", "publishing", "unconfirmed", "published")
_CHUNK = 500


@dataclass(frozen=True)
class Owner:
    """Who an apply labels the records it writes with.

    ``source`` names the directory or repository (``apply --prune`` cancels only
    what this source owns and no longer lists); ``commit`` is the git commit the
    manifests came from, recorded on every record the apply touched and in the
    audit trail.
    """

    source: str
    commit: str | None = None


#: Every action a plan can hold, in the order summaries list them.
ACTIONS = ("created", "changed", "rescheduled", "canceled", "removed", "kept", "unchanged")
#: The actions that write something (``kept`` is a pruned post already published: a warning).
WRITING_ACTIONS = frozenset({"created", "changed", "rescheduled", "canceled", "removed"})


@dataclass
class Change:
    """What applying one document does (or did).

    ``action`` is one of ``ACTIONS``: ``created``, ``changed``, ``rescheduled`` (only
    times moved), ``canceled`` (a pruned post), ``removed`` (a pruned slot), ``kept``
    (a pruned post that already went out: left alone, with ``warning``) or ``unchanged``.
    ``details`` has one entry per changed field: ``{"field", "old", "new"}``, and for a
    changed text ``"lengths"``: each part as the platform counts it against its limit.
    """

    kind: str
    name: str
    action: str
    fields: list[str] = field(default_factory=list)
    where: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    warning: str | None = None

    @property
    def label(self) -> str:
        """``post/spring-launch``: kind and name, as printed."""
        return f"{self.kind.lower()}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "action": self.action,
                               "fields": self.fields, "source": self.where,
                               "details": self.details}
        if self.warning:
            out["warning"] = self.warning
        return out


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

    Publication registries (``published.yaml``) are not manifests and are left
    out. Sizes are checked before anything is parsed: each file (and stdin) against
    ``file_limit``, all of them together against ``total_limit``.

    Raises:
        ValidationError: a path does not exist, a file is too big or not UTF-8 text.
    """
    named = list(paths)
    files: list[Path] = []
    for path in named:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.suffix in (".yaml", ".yml") and p.is_file()
                            and p.name != REGISTRY_FILE)
        elif path.is_file():
            if path.name != REGISTRY_FILE:
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


def owner_for(paths: Sequence[Path], source: str | None = None,
              commit: str | None = None) -> Owner | None:
    """Who owns what is applied from ``paths``: ``source`` when given, else the one
    directory applied (its absolute path); None for files, stdin or several paths
    without ``source`` (nothing is labelled then, and nothing can be pruned)."""
    if source is not None:
        if not source.strip():
            raise ValidationError("--source must not be empty")
        return Owner(source.strip(), commit)
    named = [p for p in paths if str(p) != "-"]
    if len(paths) == 1 and len(named) == 1 and named[0].is_dir():
        return Owner(str(named[0].resolve()), commit)
    return None


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


class _Planner:
    """Plans changes for a set of manifests; ``writes`` holds the deferred database work."""

    def __init__(self, session: Session, org_id: int, now: datetime,
                 media: MediaPolicy, owner: Owner | None = None,
                 published: Registry | None = None, actor: Actor | None = None) -> None:
        self.s, self.org_id, self.now, self.media = session, org_id, now, media
        self.owner = owner
        self.actor = actor
        self.org_settings = teams_queries.organization_settings(session, org_id)
        self.published: Registry = published or {}
        #: Whether changed texts carry their counted lengths: diff shows them; apply skips
        #: measuring every text twice (checking already measured it), which would add
        #: seconds to an apply of thousands of new posts.
        self.measured = False
        self.changes: list[Change] = []
        self.issues: list[Issue] = []
        self.writes: list[Callable[[], None]] = []
        #: Writes that need the new posts' ids (experiments link their arms' posts).
        self.late_writes: list[Callable[[], None]] = []
        self.conflicts = 0
        self.new_posts: list[tuple[Manifest, Targets]] = []
        #: Every valid post's desired targets, by name (what ``preview`` renders).
        self.targets: dict[str, tuple[Manifest, Targets]] = {}
        self.tick: Callable[[], None] = lambda: None
        #: Posts of files an apply skipped as unchanged (``services.manifests.digests``):
        #: name → file. Each is reported "unchanged" and counts as listed for a prune.
        self.skipped: dict[str, str] = {}
        #: Each file's place among the sources, so skipped posts are listed where they stand.
        self.file_order: dict[str, int] = {}
        self.accounts = {a.ref: a for a in queries.accounts_in_order(session, org_id)}
        self.voices = {v.name: v for v in queries.voices_in_order(session, org_id)}
        self.campaigns = {c.name: c for c in queries.campaigns_in_order(session, org_id)}
        self.rules = {r.name: r for r in rules_queries.rules_in_order(session, org_id)}
        self.policies = {p.name: p for p in policies_queries.policies_in_order(session, org_id)}
        #: The settings links are tagged by (``links.*``); None measures texts as written.
        self.settings: Settings | None = None

    def _change(self, m: Manifest, action: str, fields: list[str] | None = None,
                details: list[dict[str, Any]] | None = None) -> None:
        self.changes.append(Change(m.kind, m.name, action, fields or [], m.file, details or []))

    def change(self, m: Manifest, action: str, fields: list[str] | None = None) -> None:
        """Note what applying ``m`` does (``created``, ``changed`` with fields, ``unchanged``)."""
        self._change(m, action, fields)

    @property
    def source(self) -> str | None:
        """The directory or repository this apply labels what it writes with, if any."""
        return self.owner.source if self.owner is not None else None

    def _via(self, base: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """The ``change`` data of an audit event: the fields' ``before``/``after``, then
        ``via: apply`` and the commit it came from in git."""
        out: dict[str, Any] = {**(base or {}), "via": "apply", **more}
        if self.owner is not None and self.owner.commit:
            out["commit"] = self.owner.commit
        return out

    via = _via  # for the planners of other kinds (services.manifests.policies)

    def _sent(self, m: Manifest, account: Account) -> Callable[[str], str] | None:
        """A target's text as it will be sent (links tagged or shortened), for measuring."""
        if self.settings is None:
            return None
        name = m.model.metadata.campaign
        campaign = self.campaigns.get(name or "")
        return sent_text(self.settings, campaign=name, post=m.name, platform=account.platform,
                         campaign_utm=campaign.utm if campaign is not None else None,
                         handle=account.handle)

    def _label(self, row: Post | Slot) -> None:
        """Mark ``row`` as owned by the applied directory, at the applied commit."""
        if self.owner is not None:
            row.source, row.source_commit = self.owner.source, self.owner.commit

    def _owned_elsewhere(self, row: Post | Slot) -> bool:
        """Whether applying would move ``row`` to this directory from none or another."""
        return self.owner is not None and row.source != self.owner.source

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
                             name=ref, change=self._via(created(snapshot(account, ACCOUNT_FIELDS))))
            self.writes.append(create)
            self._change(m, "created")
            return
        self._update(m, existing, desired, "Account")

    def _update(self, m: Manifest, row: Any, desired: dict[str, Any], kind: str,
                labels: dict[str, str] | None = None, *, owned: bool = False) -> None:
        diff = [f for f, v in desired.items() if getattr(row, f) != v]
        label = (labels or {}).get
        details = [{"field": label(f, f), "old": plain(getattr(row, f)),
                    "new": plain(desired[f])} for f in diff]
        relabel = owned and self.owner is not None and self._owned_elsewhere(row)
        if relabel and self.owner is not None:
            details.append({"field": "source", "old": row.source, "new": self.owner.source})
        if not diff and not relabel:
            self._change(m, "unchanged")
            return

        def update() -> None:
            before = _audit_view(row, diff)
            for f in diff:
                setattr(row, f, desired[f])
            if owned:
                self._label(row)
            record_event(self.s, self.org_id, "update", kind, record_id=row.id, name=m.name,
                         change=self._via(changes(before, _audit_view(row, diff))))
        self.writes.append(update)
        self._change(m, "changed", [d["field"] for d in details], details)

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
                   "currency": spec.currency.upper() if spec.currency else None,
                   "approvals": spec.approvals,
                   "brief": (spec.brief.model_dump(mode="json", exclude_defaults=True)
                             if spec.brief is not None else None),
                   "utm": dict(spec.utm) if spec.utm is not None else None}
        self._create_or_update(m, Campaign, self.campaigns, desired)

    def rule(self, m: Manifest) -> None:
        spec = m.model.spec
        desired = {"enabled": spec.enabled, "dry_run": spec.dry_run,
                   "trigger": spec.trigger.model_dump(exclude_defaults=True),
                   "conditions": dict(spec.conditions),
                   "actions": [a.model_dump(exclude_defaults=True) for a in spec.actions],
                   "per_hour": spec.rate_limit.per_hour}
        existing = self.rules.get(m.name)
        if existing is None:  # a new rule answers what arrives after it
            desired["last_item_id"] = rules_queries.newest_item_id(self.s, self.org_id)
        if existing is None or existing.trigger != desired["trigger"]:
            # A new trigger starts now: no backlog of posts, feed entries or ticks.
            desired["state"] = {"since": self.now.isoformat()}
        self._create_or_update(m, Rule, self.rules, desired)

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
                         name=m.name,
                         change=self._via(created(_audit_view(row, ["name", *desired]))))
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
                self._update(m, slot, {"timezone": spec.zone}, "Slot", {"timezone": "zone"},
                             owned=True)
                continue
            new = Slot(weekday=day, time=spec.time, timezone=spec.zone)
            self._label(new)

            def create(new: Slot = new, account: Account = account, name: str = m.name) -> None:
                new.account = account
                self.s.add(new)
                self.s.flush()
                record_event(self.s, self.org_id, "create", "Slot", record_id=new.id, name=name,
                             change=self._via(created(slot_state(new))))
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
        first = len(self.changes)
        for m in manifests:
            self.post(m, existing.get(m.name), live)
            self.tick()
        for name, file in self.skipped.items():
            self.changes.append(Change("Post", name, "unchanged", [], file))
            self.tick()
        if self.skipped:  # in the order of the files, as when every file is planned
            self.changes[first:] = sorted(self.changes[first:],
                                          key=lambda c: self.file_order.get(c.where, -1))

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
                    text, thread = check_variant_text(account, text, t.thread,
                                                      sent=self._sent(m, account))
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
                (when.local_text, when.zone) if when else None, when, t.language))
        return states, ok

    def _media(self, m: Manifest, i: int, items: list[MediaSpec]) -> list[dict[str, Any]] | None:
        """Target ``i``'s media as stored, each file confined and sniffed; None on a problem."""
        base = (None if not self.media.manifest_folders
                else Path.cwd() if m.file == "<stdin>" else Path(m.file).parent)
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
        details: list[dict[str, Any]] = []
        out = self.published.get(m.name, {})
        marks: list[tuple[Variant, dict[str, Any]]] = []  # out per the registry only
        for ref, stored in current.items():
            if ref in out and live.get(stored.id) not in _SENT:
                marks.append((stored, out[ref]))
                fields.append(f"targets[{ref}] published")
                details.append({"field": f"targets[{ref}].delivery",
                                "old": live.get(stored.id), "new": "published (registry)"})
                live[stored.id] = "published"  # it is out: it may not change nor go again
        if post is not None:
            for f, old, new in (
                    ("body", post.body, spec.body), ("tags", list(post.tags or []), spec.tags),
                    ("paid", post.paid, spec.paid),
                    ("voice", post.voice.name if post.voice else None, spec.voice),
                    ("campaign", post.campaign.name if post.campaign else None, meta.campaign)):
                if old != new:
                    fields.append(f)
                    details.append({"field": f, "old": old, "new": new})
        # every change only moved a target in time (a changed body, tag... is no move)
        moved_only = not any(not f.endswith(" published") for f in fields)
        for ref, (i, account, state) in states.items():
            variant = current.get(ref)
            old_state = variant_state(variant) if variant is not None else None
            if old_state == state:
                continue
            fields.append(f"targets[{ref}]")
            target_details = target_changes(ref, account, old_state, state,
                                            measured=self.measured,
                                            sent=self._sent(m, account))
            details += target_details
            moved_only = moved_only and old_state is not None and all(
                d["field"].endswith(".at") for d in target_details)
            if variant is not None and live.get(variant.id) in _SENT:
                self._conflict(m, ("spec", "targets", i),
                               f"the {ref} target is already {live[variant.id]}; it can no "
                               "longer change")
            if state.when is not None and (old_state is None or old_state.at
                                           != state.at) and state.when.utc <= self.now \
                    and ref not in out:  # what went out went out in the past
                self.issues.append(m.issue(("spec", "targets", i, "at"),
                                           f"time {state.when} is in the past"))
        for ref, variant in current.items():
            if ref not in states:
                fields.append(f"targets[{ref}] removed")
                details.append({"field": f"targets[{ref}]", "old": "present", "new": None})
                moved_only = False
                if live.get(variant.id) in _SENT:
                    self._conflict(m, ("spec", "targets"), f"target {ref} was removed from the "
                                   f"manifest but is already {live[variant.id]}")
        moved_only = moved_only and not marks
        if post is not None and self._owned_elsewhere(post):
            fields.append("source")
            details.append({"field": "source", "old": post.source,
                            "new": self.owner.source if self.owner else None})
            moved_only = False
        if not ok:
            return
        self.targets[m.name] = (m, states)
        self._approval_gate(m, post, states)
        if post is None:
            self.new_posts.append((m, states))
            self._change(m, "created", details=[
                d for ref, (_i, account, st) in states.items()
                for d in [*target_changes(ref, account, None, st, measured=self.measured,
                                          sent=self._sent(m, account)),
                          *([{"field": f"targets[{ref}].delivery", "old": None,
                              "new": "published (registry)"}] if ref in out else [])]])
            return
        if not fields:
            self._change(m, "unchanged")
            if post.status == "canceled":
                self.changes[-1].warning = (
                    f"post {post.name} is in the manifests but was canceled; it stays "
                    "canceled (give it a new name to schedule it again)")
            return
        if post.status == "canceled":
            self._conflict(m, ("metadata", "name"), f"post {post.name} was canceled; "
                           "it can no longer change")
        if marks:
            self.writes.append(partial(self._mark_published, post, marks))
        if any(not f.endswith(" published") for f in fields):
            self.writes.append(lambda: self._update_post(m, post, states, current, fields))
        elif marks:
            self.writes.append(lambda: self._record_marks(m, post, fields))
        self._change(m, "rescheduled" if moved_only else "changed", fields, details)

    # -- prune ----------------------------------------------------------------------------
    def prune(self, by_kind: dict[str, list[Manifest]]) -> None:
        """Plan the end of every post, slot and experiment the directory owns but no
        longer lists.

        Posts not yet published everywhere are canceled (their pending deliveries with
        them); a post already published is kept, with a warning: a prune never deletes
        anything remotely. Slots and experiments are removed. Records owned by another
        directory, or by none, are never touched.
        """
        if self.owner is None:
            return
        source = self.owner.source
        listed = {m.name for m in by_kind["Post"]} | set(self.skipped)
        for post in queries.owned_posts(self.s, self.org_id, source):
            if post.name in listed:
                continue
            if post.status == "published":
                self.changes.append(Change(
                    "Post", post.name, "kept", [], "(database)",
                    warning=f"post {post.name} is no longer in {source} but was already "
                    "published; it stays published (a prune never deletes remotely)"))
                continue
            self.writes.append(partial(self._cancel_post, post))
            self.changes.append(Change("Post", post.name, "canceled", [], "(database)",
                                       [{"field": "status", "old": post.status,
                                         "new": "canceled"}]))
        listed = {m.name for m in by_kind["Slot"]}
        for slot in queries.owned_slots(self.s, self.org_id, source):
            name = f"{slot.account.ref}/{WEEKDAYS[slot.weekday]}/{slot.time}"
            if name in listed:
                continue
            self.writes.append(partial(self._remove_slot, slot, name))
            self.changes.append(Change("Slot", name, "removed", [], "(database)"))
        for name in prune_experiments(self, {m.name for m in by_kind["Experiment"]}):
            self.changes.append(Change("Experiment", name, "removed", [], "(database)"))

    def _cancel_post(self, post: Post) -> None:
        for delivery in delivery_queries.post_deliveries_in(self.s, post.id,
                                                            PENDING_DELIVERY_STATES):
            delivery.status = DeliveryStatus.CANCELED
        post.status = "canceled"
        self._label(post)
        record_event(self.s, self.org_id, "cancel", "Post", record_id=post.id, name=post.name,
                     change=self._via(pruned=True))

    def _remove_slot(self, slot: Slot, name: str) -> None:
        slot_id = slot.id
        self.s.delete(slot)
        record_event(self.s, self.org_id, "delete", "Slot", record_id=slot_id, name=name,
                     change=self._via(pruned=True))

    def _mark_published(self, post: Post, marks: list[tuple[Variant, dict[str, Any]]]) -> None:
        """Record targets the registry says are out as published, with their remote ids,
        so nothing sends them again."""
        for variant, entry in marks:
            live = delivery_queries.latest_live_delivery(self.s, variant.id)
            if live is None:
                live = Delivery(variant_id=variant.id, account_id=variant.account_id,
                                due_at=variant.scheduled_at or self.now,
                                next_attempt_at=variant.scheduled_at or self.now,
                                idempotency_key=new_idempotency_key())
                self.s.add(live)
            live.status = DeliveryStatus.PUBLISHED
            live.remote_id, live.remote_url = entry.get("remote_id"), entry.get("url")
        self.s.flush()
        refresh_post_status(self.s, post)

    def _record_marks(self, m: Manifest, post: Post, fields: list[str]) -> None:
        self._label(post)
        record_event(self.s, self.org_id, "update", "Post", record_id=post.id, name=post.name,
                     change=self._via(fields=fields, registry=True))

    def _approval_gate(self, m: Manifest, post: Post | None, states: Targets) -> None:
        """With approvals required, a post goes on the calendar only with an approval of
        exactly the content this manifest gives it (the rule of `posts schedule`)."""
        campaign = self.campaigns.get(m.model.metadata.campaign or "")
        if not approvals_required(self.org_settings, campaign.approvals if campaign else None):
            return
        timed = [i for i, _account, st in states.values() if st.when is not None]
        if not timed:
            return
        digest = content_digest(
            {"account_id": account.id, "text": st.text, "thread": st.thread, "media": st.media,
             "first_comment": st.first_comment, "options": st.options}
            for _i, account, st in states.values())
        if post is not None and approval_valid(post.approved_digest, digest):
            return
        self.issues.append(m.issue(("spec", "targets", timed[0], "at"), (
            f"post {m.name} needs approval (approvals: required); apply it without times, "
            f"submit it with `socialhub posts submit {m.name}`, and schedule it once approved")))

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
        if self.actor is not None:
            lapse_approval(self.s, post, self.actor, self.now)  # changed content: back to review
        for variant in touched:
            sync_delivery(self.s, variant)
        refresh_post_status(self.s, post)
        self._label(post)
        record_event(self.s, self.org_id, "update", "Post", record_id=post.id, name=post.name,
                     change=self._via(changes(before, post_state(post))))


def _audit_view(row: Any, fields: list[str]) -> dict[str, Any]:
    """The audit trail's view of ``fields`` on ``row``: a voice's samples as a count."""
    view = snapshot(row, [f for f in fields if f != "samples"])
    if "samples" in fields:
        view["samples"] = len(row.samples or [])
    return view


def _policy_warnings(plan: _Planner, warnings: list[tuple[str, Issue]]) -> None:
    """Content policy warnings never block: each rides on its post's change."""
    by_post: dict[str, list[str]] = {}
    for name, issue in warnings:
        by_post.setdefault(name, []).append(str(issue))
    for change in plan.changes:
        if change.kind == "Post" and change.name in by_post:
            lines = by_post.pop(change.name)
            change.warning = "\n".join(filter(None, [change.warning, *lines]))


def _unset_default(voice: VoiceProfile) -> Callable[[], None]:
    def write() -> None:
        voice.is_default = False
    return write


def _unknown(what: str, name: str) -> str:
    return f"unknown {what} {name!r} (not in the database or in these manifests)"


@use_case(Permission.MANIFESTS_EXPORT)
def plan_with_targets(ctx: Ctx, manifests: Sequence[Manifest], *, now: datetime,
                      issues: Sequence[Issue] = (), media: MediaPolicy | None = None,
                      owner: Owner | None = None, prune: bool = False,
                      published: Registry | None = None
                      ) -> tuple[list[Change], dict[str, tuple[Manifest, Targets]]]:
    """The plan and each planned post's desired targets, for ``preview``. Reads only."""
    plan = _plan(ctx, manifests, now=now, issues=issues, media=media, owner=owner,
                 prune=prune, progress=None, published=published)
    return plan.changes, plan.targets


def _plan(ctx: Ctx, manifests: Sequence[Manifest], *, now: datetime,
          issues: Sequence[Issue], media: MediaPolicy | None, owner: Owner | None,
          prune: bool, progress: Progress | None,
          published: Registry | None = None, measured: bool = False,
          skipped: dict[str, str] | None = None,
          file_order: dict[str, int] | None = None) -> _Planner:
    """Plan without writing: the one path ``plan_manifests`` and ``apply_manifests`` share.

    ``skipped``: the posts of files left unparsed as unchanged (name → file), listed
    among the others by ``file_order`` (file → its place among the sources).
    """
    if prune and owner is None:
        raise ValidationError("--prune needs to know which directory owns the records: "
                              "apply one directory, or name it with --source")
    plan = _Planner(ctx.session, ctx.org_id, now, media or MediaPolicy(), owner, published,
                    ctx.actor)
    plan.measured = measured
    plan.skipped = dict(skipped or {})
    plan.file_order = dict(file_order or {})
    plan.settings = ctx.settings
    plan.issues += issues
    by_kind: dict[str, list[Manifest]] = {k: [] for k in KINDS}
    for m in with_experiment_posts(manifests):  # an experiment's arms are posts
        by_kind[m.kind].append(m)
    for m in by_kind["Organization"]:
        plan_organization(plan, ctx, m)
    for m in by_kind["Member"]:
        plan_member(plan, ctx, m)
    if progress is not None:
        n_posts = len(by_kind["Post"]) + len(plan.skipped)
        planned = iter(range(1, n_posts + 1))
        plan.tick = lambda: progress("planning", next(planned), n_posts)
    for m in by_kind["Account"]:
        plan.account(m)
    voice_names = {m.name for m in by_kind["VoiceProfile"]}
    for m in by_kind["VoiceProfile"]:
        plan.voice(m, voice_names)
    for m in by_kind["Campaign"]:
        plan.campaign(m)
    for m in by_kind["Policy"]:
        plan_policy(plan, m)
    plan.slots(by_kind["Slot"])
    plan.posts(by_kind["Post"])
    _policy_warnings(plan, check_policies(plan, manifests))
    for m in by_kind["Rule"]:
        plan.rule(m)
    plan_experiments(plan, by_kind["Experiment"])
    if prune:
        plan.prune(by_kind)
    if plan.issues:
        plan.issues.sort(key=lambda i: (i.file, i.line, i.column))
        # Only conflicts (a target already sent, a canceled post): the input is fine, the
        # state is not, so the exit code says "conflict" rather than "invalid".
        only_conflicts = plan.conflicts == len(plan.issues)
        raise ManifestError(plan.issues, exit_code=ExitCode.CONFLICT if only_conflicts
                            else ExitCode.VALIDATION)
    return plan


@use_case(Permission.MANIFESTS_EXPORT)
def plan_manifests(ctx: Ctx, manifests: Sequence[Manifest], *, now: datetime,
                   issues: Sequence[Issue] = (), media: MediaPolicy | None = None,
                   owner: Owner | None = None, prune: bool = False,
                   published: Registry | None = None) -> list[Change]:
    """What ``apply_manifests`` with the same arguments would do, record by record and
    field by field; reads only, writes nothing (``socialhub diff``). The same
    actions and fields as apply; a changed text's details also carry its lengths
    as each platform counts them.

    Raises:
        ManifestError: any problem at all (the apply would refuse the same way).
        ValidationError: ``prune`` without an ``owner``.
    """
    return _plan(ctx, manifests, now=now, issues=issues, media=media, owner=owner,
                 prune=prune, progress=None, published=published, measured=True).changes


@use_case(Permission.MANIFESTS_APPLY)
def apply_manifests(ctx: Ctx, manifests: Sequence[Manifest], *,
                    now: datetime, dry_run: bool = False, issues: Sequence[Issue] = (),
                    media: MediaPolicy | None = None, owner: Owner | None = None,
                    prune: bool = False, published: Registry | None = None,
                    progress: Progress | None = None) -> list[Change]:
    """Plan ``manifests`` against the database and, unless ``dry_run``, write the plan.

    ``issues`` found earlier (syntax, schema) are reported together with the
    database checks, so one run lists every problem. Records not named in the
    manifests are left alone, unless ``prune``: then the posts and slots that
    ``owner`` owns and the manifests no longer list are canceled or removed
    (published posts are kept, with a warning). A post's targets are exactly
    those listed. With an ``owner`` every post and slot written is labelled with
    its source and commit. A target that ``published`` (the publication registry,
    ``published.yaml``) says is out is recorded as published, never scheduled
    again. Media files are checked against ``media`` (default:
    each manifest's own folder only). ``progress`` is told ``("planning", posts
    planned, posts)`` and then ``("writing", 0, 1)``.

    Raises:
        ManifestError: any problem at all; nothing was written.
        ValidationError: ``prune`` without an ``owner``.
        PermissionDeniedError: an account would be added or changed without
            ``accounts.manage``.
    """
    plan = _plan(ctx, manifests, now=now, issues=issues, media=media, owner=owner,
                 prune=prune, progress=progress, published=published)
    if not dry_run:
        _write(ctx, plan, now=now, owner=owner, progress=progress)
    return plan.changes


@use_case(Permission.MANIFESTS_APPLY)
def apply_sources(ctx: Ctx, sources: Sequence[tuple[str, str]], *,
                  now: datetime, dry_run: bool = False, media: MediaPolicy | None = None,
                  owner: Owner | None = None, prune: bool = False,
                  published: Registry | None = None,
                  progress: Progress | None = None,
                  checks: Callable[[Sequence[Manifest]], list[Issue]] | None = None
                  ) -> list[Change]:
    """Parse ``sources`` (``(file name, text)`` pairs, as ``read_sources`` gives them) and
    apply them as ``apply_manifests`` does, leaving out the files nothing has changed for.
    ``checks`` adds issues found in the parsed manifests (e.g. ``length_issues``); the
    files left out passed them when they were applied.

    A file of posts that the last apply recorded (``services.manifests.digests``) is
    neither parsed nor planned again when its text, everything outside it that its
    posts depend on (accounts, campaigns, voices, policies, settings, the owning
    directory) and each of its posts in the database are exactly as that apply left
    them; its posts are reported ``unchanged`` and count as listed for ``prune``.
    Anything else is planned and written exactly as ``apply_manifests`` would, and
    when a skip could hide something (a post defined twice, a change to an account,
    voice, campaign, policy or the organization, any problem at all) every file is
    planned. Unless ``dry_run``, what was applied is recorded for the next apply.

    Raises:
        ManifestError: any problem at all; nothing was written.
        ValidationError: ``prune`` without an ``owner``.
        PermissionDeniedError: an account would be added or changed without
            ``accounts.manage``.
    """
    session, org_id = ctx.session, ctx.org_id
    source = owner.source if owner else None
    environment = digests.environment(session, org_id, ctx.settings, source)
    unchanged = digests.unchanged_files(session, org_id, environment, sources,
                                        digests.published_names(published))
    skipped = {name: file for file, names in unchanged.items() for name in names}
    manifests, issues = _parse(sources, unchanged, progress, checks)
    plan: _Planner | None = None
    if skipped and not digests.collides(manifests, skipped):
        try:
            plan = _plan(ctx, manifests, now=now, issues=issues, media=media, owner=owner,
                         prune=prune, progress=progress, published=published, skipped=skipped,
                         file_order={file: i for i, (file, _text) in enumerate(sources)})
        except ManifestError:
            plan = None  # one run lists every problem: plan every file
        if plan is not None and any(c.action in WRITING_ACTIONS
                                    and c.kind in digests.ENVIRONMENT_KINDS
                                    for c in plan.changes):
            plan = None  # the skipped files were checked against what is changing
    if plan is None:
        if skipped:
            manifests, issues = _parse(sources, {}, progress, checks)
        plan = _plan(ctx, manifests, now=now, issues=issues, media=media, owner=owner,
                     prune=prune, progress=progress, published=published)
    if not dry_run:
        _write(ctx, plan, now=now, owner=owner, progress=progress)
        org_settings = teams_queries.organization_settings(session, org_id)
        campaigns = plan.campaigns

        def approvals(name: str | None) -> bool:
            campaign = campaigns.get(name or "")
            return approvals_required(org_settings, campaign.approvals if campaign else None)

        digests.record_applied(
            session, org_id, digests.environment(session, org_id, ctx.settings, source),
            manifests, plan.changes, digests.published_names(published), approvals)
    return plan.changes


def _parse(sources: Sequence[tuple[str, str]], leave_out: Collection[str],
           progress: Progress | None,
           checks: Callable[[Sequence[Manifest]], list[Issue]] | None
           ) -> tuple[list[Manifest], list[Issue]]:
    """The manifests of ``sources`` but the files ``leave_out``, with their issues and
    those ``checks`` finds."""
    manifests, issues = parse_manifests([s for s in sources if s[0] not in leave_out],
                                        progress=progress)
    if checks is not None:
        issues += checks(manifests)
    return manifests, issues


def _write(ctx: Ctx, plan: _Planner, *, now: datetime, owner: Owner | None,
           progress: Progress | None) -> None:
    """Write what ``plan`` planned, in dependency order, and wake whoever waits for it.

    Raises:
        PermissionDeniedError: an account would be added or changed without
            ``accounts.manage``; nothing was written.
    """
    if any(c.kind == "Account" and c.action in WRITING_ACTIONS for c in plan.changes):
        # Adding an account, or changing where and with which secrets it connects, is
        # managing accounts (owners, admins, the sync role), never a token's scope.
        check(ctx, Permission.ACCOUNTS_MANAGE)
    session, org_id = ctx.session, ctx.org_id
    if progress is not None:
        progress("writing", 0, 1)
    with session.no_autoflush:
        for write in plan.writes:
            write()
    insert_new_posts(session, org_id, plan.new_posts, plan.campaigns, plan.voices,
                     source=owner.source if owner else None,
                     commit=owner.commit if owner else None,
                     published=plan.published, now=now, created_by=ctx.actor.name)
    session.flush()
    for write in plan.late_writes:
        write()
    _announce_posts(session, org_id, [c.name for c in plan.changes if c.kind == "Post"
                                      and c.action in WRITING_ACTIONS])


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
