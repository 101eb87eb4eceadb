"""Manifest schemas (``apiVersion: socialhub/v1``) and their database-free checks.

Everything here is pure: it turns YAML text into validated manifests and a
list of ``Issue`` (``file:line:column: message``), and turns plain records
back into YAML. ``socialhub lint`` runs only this; ``socialhub apply`` runs
this first and then the checks that need the database (services/manifests).
The reference for every kind and field is docs/manifests.md.

The networks are not listed here (core must not import ``platforms/``): the
caller passes them as a ``Platforms`` mapping, name → ``PlatformRules`` in the
registry's order (``services.manifests.documents`` passes the registry's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from socialhub.core.content_policy import PolicySpec
from socialhub.core.limits import TEXT_CHARS
from socialhub.core.links import template_errors
from socialhub.core.locales import normalize_locale
from socialhub.core.media_policy import path_shape_problem, url_problem
from socialhub.core.platform_rules import PlatformRules
from socialhub.core.rules import RuleSpec, template_problems
from socialhub.core.text import measure
from socialhub.core.when import When, load_zone, parse_when
from socialhub.core.yaml_locate import LocatedDocument, Path, YamlSyntaxError, load_located
from socialhub.errors import ValidationError

API_VERSION = "socialhub/v1"
#: Kinds in the order they are applied: each may refer only to kinds before it.
KINDS = ("Organization", "Member", "Account", "VoiceProfile", "Campaign", "Policy", "Slot",
         "Post", "Rule", "Experiment")
#: The kinds about people and settings: exported only when asked for (``--kind``), so a
#: shared export never carries who may do what into another database unasked.
PEOPLE_KINDS = ("Organization", "Member")
#: The roles a ``Member`` manifest may give (``core.policy.MEMBER_ROLES``).
MEMBER_ROLE_NAMES = ("owner", "admin", "editor", "reviewer", "viewer")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ZONE_GIVEN_RE = re.compile(r"(?:\s[A-Za-z][A-Za-z_+\-/0-9]*|Z|[+-]\d{2}:?\d{2})\s*$")
_CREDENTIAL_REF_RE = re.compile(r"^(keyring|env):\S+$")
_SECRETISH_RE = re.compile(r"token|secret|password", re.IGNORECASE)

#: The networks a manifest may name: name → text rules, in the order messages list them.
Platforms = Mapping[str, PlatformRules]


@dataclass(frozen=True)
class Issue:
    """One problem in one file, printed as ``file:line:column: message``.

    ``severity`` is ``error`` for everything but a content policy's warnings, which
    are reported and never block.
    """

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def canonical_ref(ref: str, platforms: Platforms) -> str:
    """``Bluesky:shop.example.com`` → ``bluesky:@shop.example.com``.

    Raises:
        ValueError: not ``platform:@handle`` with a platform in ``platforms``.
    """
    if not isinstance(ref, str) or ":" not in ref:
        raise ValueError(f"account reference {ref!r} must look like platform:@handle, "
                         "e.g. bluesky:@shop.example.com")
    platform, handle = ref.split(":", 1)
    platform, handle = platform.strip().lower(), handle.strip().lstrip("@")
    if platform not in platforms:
        raise ValueError(f"unknown platform {platform!r} in {ref!r} "
                         f"(known: {', '.join(platforms)})")
    if not handle or any(c.isspace() for c in handle):
        raise ValueError(f"account reference {ref!r} has no valid handle")
    return f"{platform}:@{handle}"


@lru_cache(maxsize=4096)  # bulk manifests repeat the same few times; parsing is pure
def parse_at(text: str) -> When:
    """A manifest time: ``2026-12-01T09:00:00 Europe/Berlin`` (a zone or offset is required).

    Raises:
        ValueError: bad format, unknown zone, or a time skipped/repeated by DST.
    """
    if not _ZONE_GIVEN_RE.search(text):
        raise ValueError(f"time {text!r} needs a zone, e.g. '2026-12-01 09:00 Europe/Berlin'")
    try:
        return parse_when(text, "UTC")
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


def _name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ValueError(f"name {value!r} must be lower-case letters, digits, '.', '_' or '-'")
    return value


def _platforms(info: ValidationInfo) -> Platforms:
    context = info.context
    if not isinstance(context, dict) or "platforms" not in context:
        # A programming error, not a manifest problem: pydantic lets it through.
        raise TypeError("manifests are validated with the known platforms in the context: "
                        "parse_manifests(sources, platforms=...)")
    found: Platforms = context["platforms"]
    return found


def _account_ref(value: str, info: ValidationInfo) -> str:
    return canonical_ref(value, _platforms(info))


def _credential_ref(value: str) -> str:
    if not _CREDENTIAL_REF_RE.match(value):
        # Never echo the value: it may be the very secret that must not be here.
        raise ValueError("must be a reference (keyring:NAME or env:VAR), never the secret itself")
    return value


def _locale(value: str) -> str:
    return normalize_locale(value)


Name = Annotated[str, pydantic.AfterValidator(_name)]
Locale = Annotated[str, pydantic.AfterValidator(_locale)]
CredentialRef = Annotated[str, pydantic.AfterValidator(_credential_ref)]
AccountRef = Annotated[str, pydantic.AfterValidator(_account_ref)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metadata(_Strict):
    name: str = Field(min_length=1, max_length=200)


class AccountSpec(_Strict):
    display_name: str | None = None
    external_id: str | None = None
    base_url: str | None = None
    settings: dict[str, Any] = {}
    credentials: dict[str, CredentialRef] = {}

    @field_validator("settings")
    @classmethod
    def _no_secret_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if _SECRETISH_RE.search(str(key)) or key == "credential_refs":
                raise ValueError(f"settings may not hold {key!r}: secrets belong in "
                                 "credentials: as keyring:NAME or env:VAR references")
        return value


class AccountMetadata(_Strict):
    name: AccountRef


class AccountManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Account"]
    metadata: AccountMetadata
    spec: AccountSpec = AccountSpec()


class VoiceSpec(_Strict):
    default: bool = False
    description: str | None = None
    tone: list[str] = []
    formality: int | None = Field(default=None, ge=1, le=10)
    emoji_use: str | None = Field(default=None, max_length=20)
    phrases_use: list[str] = []
    phrases_avoid: list[str] = []
    samples: list[str] = []


class NamedMetadata(_Strict):
    name: Name


class VoiceProfileManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["VoiceProfile"]
    metadata: Metadata
    spec: VoiceSpec = VoiceSpec()


class OrganizationSettings(_Strict):
    approvals: Literal["off", "required"] = "off"


class OrganizationSpec(_Strict):
    settings: OrganizationSettings = OrganizationSettings()


class OrganizationManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Organization"]
    metadata: Metadata
    spec: OrganizationSpec = OrganizationSpec()


class MemberSpec(_Strict):
    role: Literal["owner", "admin", "editor", "reviewer", "viewer"]


class MemberMetadata(_Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")  # the login


class MemberManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Member"]
    metadata: MemberMetadata
    spec: MemberSpec


class BriefSpec(_Strict):
    """A campaign's brief: what ``posts generate --brief`` writes from."""

    topic: str = Field(min_length=1, max_length=2000)
    audience: str | None = Field(default=None, max_length=2000)
    tone: list[str] = []
    voice: str | None = None  # a voice profile; None: the organization's default
    languages: list[Locale] = []
    platforms: list[str] = []
    regions: list[str] = []
    key_messages: list[Annotated[str, Field(max_length=2000)]] = []
    constraints: list[Annotated[str, Field(max_length=2000)]] = []
    paid: bool = False

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = _platforms(info)
        out = []
        for name in value:
            platform = name.strip().lower()
            if platform not in known:
                raise ValueError(f"unknown platform {name!r} (known: {', '.join(known)})")
            out.append(platform)
        return out


def _utm_value(value: str) -> str:
    problems = template_errors({"value": value})
    if problems:
        raise ValueError(problems[0][1].replace(" in value", ""))
    return value


def _utm_name(value: str) -> str:
    problems = template_errors({value: ""})
    if problems:
        raise ValueError(problems[0][1])
    return value


#: One parameter of a UTM template: a query parameter name and a value whose
#: ``{placeholders}`` are known (core.links.PLACEHOLDERS).
UtmTemplate = dict[Annotated[str, pydantic.AfterValidator(_utm_name)],
                   Annotated[str, pydantic.AfterValidator(_utm_value)]]


class CampaignSpec(_Strict):
    description: str | None = None
    status: Literal["planned", "active", "paused", "completed", "archived"] = "planned"
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(default=None, ge=0, decimal_places=2, max_digits=12)
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    approvals: Literal["off", "required"] | None = None  # None: the organization's
    brief: BriefSpec | None = None
    # The campaign's UTM template; None follows links.utm in the config ({} tags nothing).
    utm: UtmTemplate | None = None


class CampaignManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Campaign"]
    metadata: NamedMetadata
    spec: CampaignSpec = CampaignSpec()


class SlotSpec(_Strict):
    account: AccountRef
    day: str
    time: str
    zone: str

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in WEEKDAYS or len(value.strip()) < 3:
            raise ValueError(f"{value!r} is not a weekday (use mon, tue, … sun)")
        return day

    @field_validator("time")
    @classmethod
    def _clock(cls, value: str) -> str:
        m = _CLOCK_RE.match(value.strip())
        if not m:
            raise ValueError(f"{value!r} is not a time of day (use HH:MM, 24-hour)")
        return f"{int(m[1]):02d}:{m[2]}"

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            load_zone(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        return value


class SlotMetadata(_Strict):
    name: str | None = None


class SlotManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Slot"]
    metadata: SlotMetadata = SlotMetadata()
    spec: SlotSpec


Text = Annotated[str, Field(max_length=TEXT_CHARS)]


class MediaSpec(_Strict):
    """One attachment: a file (relative to the manifest's folder) or a URL, with alt text."""

    path: str | None = None
    url: str | None = None
    alt: str | None = Field(default=None, max_length=TEXT_CHARS)
    alt_text: str | None = Field(default=None, max_length=TEXT_CHARS)
    mime: str | None = None  # accepted from exports; the file's bytes decide the type

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        problem = path_shape_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        problem = url_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> MediaSpec:
        if (self.path is None) == (self.url is None):
            raise ValueError("give a media item either path or url")
        return self

    def as_dict(self) -> dict[str, Any]:
        """The item as written, without the fields left out."""
        return self.model_dump(exclude_none=True)


class Target(_Strict):
    account: AccountRef
    text: Text | None = None
    thread: list[Text] | None = None
    media: list[MediaSpec] = []
    first_comment: Text | None = None
    options: dict[str, Any] = {}
    at: str | None = None
    language: Locale | None = None

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value is not None:
            parse_at(value)
        return value

    def when(self) -> When | None:
        """The parsed time (already validated), or None for an unscheduled target."""
        return parse_at(self.at) if self.at is not None else None


class PostMetadata(_Strict):
    name: Name
    campaign: str | None = None


class PostSpec(_Strict):
    body: Text = ""
    voice: str | None = None
    tags: list[str] = []
    paid: bool = False
    targets: list[Target] = []


class PostManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Post"]
    metadata: PostMetadata
    spec: PostSpec = PostSpec()


class PolicyMetadata(_Strict):
    name: Name
    campaign: str | None = None  # None: the whole organization


class PolicyManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Policy"]
    metadata: PolicyMetadata
    spec: PolicySpec = PolicySpec()


class RuleManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Rule"]
    metadata: NamedMetadata
    spec: RuleSpec


#: What an experiment optimises; each is a rate per impression (docs/campaigns.md).
EXPERIMENT_METRICS = ("likes", "clicks", "engagement_rate", "ctr")


class ArmSpec(_Strict):
    """One arm: the text it tries, on which account, and when."""

    name: Name
    account: AccountRef
    text: Text | None = None
    thread: list[Text] | None = None
    media: list[MediaSpec] = []
    at: str | None = None

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value is not None:
            parse_at(value)
        return value


class ExperimentSpec(_Strict):
    description: str | None = None
    metric: Literal["likes", "clicks", "engagement_rate", "ctr"]
    #: ``accounts``: each arm on its own account; ``slots``: one account, other times.
    split: Literal["accounts", "slots"] = "accounts"
    min_sample: int = Field(ge=1, le=1_000_000_000)  # impressions per arm
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    arms: list[ArmSpec] = Field(min_length=2, max_length=20)


class ExperimentManifest(_Strict):
    apiVersion: Literal["socialhub/v1"]
    kind: Literal["Experiment"]
    metadata: PostMetadata
    spec: ExperimentSpec


AnyManifest = (OrganizationManifest | MemberManifest | AccountManifest | VoiceProfileManifest
               | CampaignManifest | PolicyManifest | SlotManifest | PostManifest | RuleManifest
               | ExperimentManifest)
MODELS: dict[str, type[BaseModel]] = {
    "Organization": OrganizationManifest, "Member": MemberManifest,
    "Account": AccountManifest, "VoiceProfile": VoiceProfileManifest,
    "Campaign": CampaignManifest, "Policy": PolicyManifest, "Slot": SlotManifest,
    "Post": PostManifest, "Rule": RuleManifest, "Experiment": ExperimentManifest,
}


@dataclass
class Manifest:
    """One validated document, with where it came from so later checks can point at it."""

    model: Any  # one of the *Manifest models (typed loosely: services switch on ``kind``)
    file: str
    doc: LocatedDocument

    @property
    def kind(self) -> str:
        """The document's kind, e.g. ``Post``."""
        return str(self.model.kind)

    @property
    def name(self) -> str:
        """The identity within its kind (a Slot's is ``ref/day/HH:MM``)."""
        if self.kind == "Slot":
            s = self.model.spec
            return f"{s.account}/{s.day}/{s.time}"
        return str(self.model.metadata.name)

    def issue(self, path: Path, message: str, *, key: bool = False) -> Issue:
        """An issue located at ``path`` in this document (or its nearest parent)."""
        pos = self.doc.position(path, key=key)
        return Issue(self.file, pos.line, pos.column, message)


def _message(err: Mapping[str, Any]) -> str:
    kind, loc = err["type"], err["loc"]
    field = ".".join(str(p) for p in loc)
    if kind == "extra_forbidden":
        return f"unknown field {field!r}"
    if kind == "missing":
        return f"missing field {field!r}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{field}: {msg}" if field else msg


def _validate(doc: LocatedDocument, file: str,
              platforms: Platforms) -> tuple[Manifest | None, list[Issue]]:
    def at(path: Path, message: str, *, key: bool = False) -> Issue:
        pos = doc.position(path, key=key)
        return Issue(file, pos.line, pos.column, message)

    issues = [Issue(file, p.line, p.column, m) for p, m in doc.problems]
    data = doc.data
    if not isinstance(data, dict):
        return None, [*issues, at((), "a manifest must be a mapping with apiVersion, kind, "
                                      "metadata and spec")]
    kind = data.get("kind")
    if kind not in MODELS:
        msg = ("missing field 'kind'" if kind is None else
               f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
        return None, [*issues, at(("kind",), msg)]
    try:
        model = MODELS[kind].model_validate(data, context={"platforms": platforms})
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            issues.append(at(loc, _message(err), key=err["type"] == "extra_forbidden"))
        return None, issues
    manifest = Manifest(model=model, file=file, doc=doc)
    issues += _semantic_issues(manifest)
    return (manifest if not issues else None), issues


def _semantic_issues(m: Manifest) -> list[Issue]:
    """Checks across fields that a field validator cannot see."""
    issues: list[Issue] = []
    spec = m.model.spec
    if m.kind == "Campaign" and spec.starts_on and spec.ends_on and spec.ends_on < spec.starts_on:
        issues.append(m.issue(("spec", "ends_on"), f"campaign ends ({spec.ends_on}) before it "
                                                   f"starts ({spec.starts_on})"))
    if m.kind == "Rule":
        for i, key, message in template_problems(spec, m.name):
            issues.append(m.issue(("spec", "actions", i, key), message))
    if m.kind == "Experiment":
        issues += _experiment_issues(m)
    if m.kind == "Post":
        seen: set[str] = set()
        for i, t in enumerate(spec.targets):
            if t.account in seen:
                issues.append(m.issue(("spec", "targets", i, "account"),
                                      f"target {t.account} is given twice"))
            seen.add(t.account)
            if t.text is not None and t.thread is not None:
                issues.append(m.issue(("spec", "targets", i, "thread"),
                                      "give a target either text or thread, not both"))
        if not spec.body.strip() and not any(t.text or t.thread for t in spec.targets):
            issues.append(m.issue(("spec",), "a post needs spec.body or a text per target"))
    return issues


def _experiment_issues(m: Manifest) -> list[Issue]:
    """An experiment's arms: distinct names, a text each, split as ``split`` says."""
    issues: list[Issue] = []
    spec = m.model.spec
    names: set[str] = set()
    for i, arm in enumerate(spec.arms):
        if arm.name in names:
            issues.append(m.issue(("spec", "arms", i, "name"), f"arm {arm.name} is given twice"))
        names.add(arm.name)
        if arm.text is not None and arm.thread is not None:
            issues.append(m.issue(("spec", "arms", i, "thread"),
                                  "give an arm either text or thread, not both"))
        elif not (arm.text or "").strip() and not arm.thread and not arm.media:
            issues.append(m.issue(("spec", "arms", i), f"arm {arm.name} needs a text"))
    accounts = [arm.account for arm in spec.arms]
    if spec.split == "accounts":
        for i, ref in enumerate(accounts):
            if ref in accounts[:i]:
                issues.append(m.issue(("spec", "arms", i, "account"),
                                      f"split: accounts needs one account per arm; {ref} "
                                      "has two (use split: slots for one account)"))
    else:
        for i, arm in enumerate(spec.arms):
            if arm.account != accounts[0]:
                issues.append(m.issue(("spec", "arms", i, "account"),
                                      f"split: slots puts every arm on one account "
                                      f"({accounts[0]}), not {arm.account}"))
            elif arm.at is not None and arm.at in [a.at for a in spec.arms[:i]]:
                issues.append(m.issue(("spec", "arms", i, "at"),
                                      f"split: slots needs a different time per arm; {arm.at} "
                                      "is taken"))
    return issues


def arm_post_name(experiment: str, arm: str) -> str:
    """The name of the post that carries an experiment arm's text: ``experiment.arm``."""
    return f"{experiment}.{arm}"


class _ArmDocument(LocatedDocument):
    """An experiment's document seen as one arm's post: a post's paths point at the arm."""

    def __init__(self, doc: LocatedDocument, arm: int) -> None:
        super().__init__(doc.data, doc.source, doc.index, doc.problems)
        self.arm = arm

    def position(self, path: Path, *, key: bool = False) -> Any:
        """Where the arm's field behind a post path is (``spec.targets.0.text`` → the arm's
        ``text``, ``spec.body`` → its ``text``)."""
        arm: Path = ("spec", "arms", self.arm)
        if path[:3] == ("spec", "targets", 0):
            path = (*arm, *path[3:])
        elif path[:2] == ("spec", "body"):
            path = (*arm, "text")
        elif path[:1] in (("spec",), ("metadata",)):
            path = arm
        return super().position(path, key=key)


def experiment_posts(m: Manifest) -> list[Manifest]:
    """The posts an experiment stands for, one per arm (named ``experiment.arm``, in the
    experiment's campaign, tagged ``experiment:NAME``); their problems point at the arm."""
    spec, meta = m.model.spec, m.model.metadata
    posts = []
    for i, arm in enumerate(spec.arms):
        target = Target.model_construct(
            account=arm.account, text=arm.text, thread=arm.thread, media=list(arm.media),
            first_comment=None, options={}, at=arm.at)
        model = PostManifest.model_construct(
            apiVersion="socialhub/v1", kind="Post",
            metadata=PostMetadata.model_construct(name=arm_post_name(meta.name, arm.name),
                                                  campaign=meta.campaign),
            spec=PostSpec.model_construct(body=arm.text or "", voice=None,
                                          tags=[f"experiment:{meta.name}"], paid=False,
                                          targets=[target]))
        posts.append(Manifest(model=model, file=m.file, doc=_ArmDocument(m.doc, i)))
    return posts


def with_experiment_posts(manifests: Iterable[Manifest]) -> list[Manifest]:
    """``manifests`` with each experiment's arm posts after it (what apply and the text
    checks work on)."""
    out: list[Manifest] = []
    for m in manifests:
        out.append(m)
        if m.kind == "Experiment":
            out += experiment_posts(m)
    return out


#: ``progress(stage, done, total)``: how far a long parse or apply has got.
Progress = Callable[[str, int, int], None]


def parse_manifests(sources: Iterable[tuple[str, str]], *, platforms: Platforms,
                    progress: Progress | None = None) -> tuple[list[Manifest], list[Issue]]:
    """Parse and validate ``(file name, text)`` pairs; every problem becomes an ``Issue``.

    Returns the valid manifests (invalid documents are left out) and the issues,
    including the same record being defined twice in the set. ``platforms`` are
    the networks an account reference may name; ``progress`` is told
    ``("checking", characters read, characters in all sources)``.
    """
    manifests: list[Manifest] = []
    issues: list[Issue] = []
    sources = list(sources)
    total, before = sum(len(text) for _file, text in sources), 0
    for file, text in sources:
        on_document = None
        if progress is not None:
            def on_document(index: int, before: int = before) -> None:
                progress("checking", before + index, total)
        before += len(text)
        try:
            docs = load_located(text, on_document=on_document)
        except YamlSyntaxError as exc:
            issues.append(Issue(file, exc.position.line, exc.position.column, exc.message))
            continue
        for doc in docs:
            manifest, found = _validate(doc, file, platforms)
            issues += found
            if manifest is not None:
                manifests.append(manifest)
    first: dict[tuple[str, str], Manifest] = {}
    for m in manifests:
        key = (m.kind, m.name)
        if key in first:
            prev = first[key]
            where = prev.issue(("metadata", "name"), "")
            issues.append(m.issue(("metadata", "name") if m.kind != "Slot" else ("spec",),
                                  f"{m.kind} {m.name} is defined twice (first at "
                                  f"{where.file}:{where.line})"))
        else:
            first[key] = m
    for m in manifests:
        if m.kind != "Experiment":
            continue
        for i, arm in enumerate(m.model.spec.arms):
            clash = first.get(("Post", arm_post_name(m.name, arm.name)))
            if clash is not None:
                issues.append(m.issue(("spec", "arms", i, "name"),
                                      f"arm {arm.name} makes post {clash.name}, which "
                                      f"{clash.file} defines too"))
    defaults = [m for m in manifests if m.kind == "VoiceProfile" and m.model.spec.default]
    for m in defaults[1:]:
        issues.append(m.issue(("spec", "default"), f"only one voice profile can be the default "
                                                   f"(also {defaults[0].name})"))
    return manifests, issues


def check_text_lengths(manifests: Iterable[Manifest],
                       limits: Mapping[str, int | None] | None = None, *,
                       platforms: Platforms,
                       sent: Callable[[Manifest, str], Callable[[str], str]] | None = None
                       ) -> list[Issue]:
    """Measure every target text as its platform counts it (``limits``: per account ref).

    ``platforms`` gives each network's rules (the manifests were parsed with the same).
    ``sent(post, account ref)`` gives how a text reads once its links are tagged or
    shortened; that is what is measured. For ``lint``: the database-backed apply
    checks texts against the real accounts.
    """
    issues: list[Issue] = []
    for m in with_experiment_posts(manifests):
        if m.kind != "Post":
            continue
        for i, t in enumerate(m.model.spec.targets):
            platform = t.account.split(":", 1)[0]
            rules = platforms[platform]
            limit = (limits or {}).get(t.account)
            parts = t.thread or [t.text if t.text is not None else m.model.spec.body]
            if len(parts) > 1 and not rules.supports_threads:
                issues.append(m.issue(("spec", "targets", i, "thread"),
                                      f"{platform} has no threads; give {t.account} one text"))
            as_sent = sent(m, t.account) if sent is not None else None
            for j, part in enumerate(parts):
                result = measure(as_sent(part) if as_sent else part, rules, limit=limit)
                if result.valid or (not part.strip() and rules.requires_media):
                    continue
                path: Path = (("spec", "targets", i, "thread", j) if t.thread else
                              ("spec", "targets", i, "text") if t.text is not None
                              else ("spec", "body"))
                what = f"thread part {j + 1} for {t.account}" if t.thread else \
                    f"text for {t.account}"
                msg = (f"{what} is {result.length} {result.unit}, over the {result.limit} limit"
                       if result.length > result.limit else
                       f"{what}: {'; '.join(result.problems) or 'empty'}")
                issues.append(m.issue(path, msg))
    return issues


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line strings as ``|`` literals so bodies stay readable in git."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and value == value.strip(" ") and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str",
                                                                  f"{v:.2f}"))


def dump_documents(documents: Iterable[Mapping[str, Any]]) -> str:
    """Serialise manifests as one multi-document YAML stream (``---`` between documents)."""
    return yaml.dump_all([dict(d) for d in documents], Dumper=_Dumper, sort_keys=False,
                         allow_unicode=True, explicit_start=True, width=4096)


__all__ = ["API_VERSION", "EXPERIMENT_METRICS", "KINDS", "PEOPLE_KINDS", "AnyManifest", "Issue",
           "Manifest", "MediaSpec", "Progress", "arm_post_name", "canonical_ref",
           "check_text_lengths", "dump_documents", "experiment_posts", "parse_at",
           "parse_manifests", "with_experiment_posts"]
